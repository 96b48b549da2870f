import { z } from 'zod';

/** A JSON error body as the backend and Grafana send it; a field of another type counts as absent. */
const errorBodySchema = z
  .object({
    message: z.string().optional().catch(undefined),
    error: z.string().optional().catch(undefined),
  })
  .catch({});

/** What Grafana's fetch rejects with (a FetchError), read field by field: nothing is assumed of it. */
const fetchFailureSchema = z
  .object({
    status: z.number().optional().catch(undefined),
    statusText: z.string().optional().catch(undefined),
    data: z.unknown(),
  })
  .catch({ data: undefined });

export interface FetchFailure {
  status?: number;
  statusText?: string;
  /** The body as received. */
  data: unknown;
  /** The body's error fields, where it has them. */
  body: { message?: string; error?: string };
}

export function readFetchFailure(err: unknown): FetchFailure {
  const failure = fetchFailureSchema.parse(err);
  return { ...failure, body: errorBodySchema.parse(failure.data) };
}

/** An error body's fields (a BackendError's body, say); empty when it is not one. */
export const readErrorBody = (body: unknown) => errorBodySchema.parse(body);

/** The message of anything thrown. */
export { messageOf } from '../../utils/messageOf';
