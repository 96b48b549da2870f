import { z } from 'zod';

/** A JSON error body as the backend and Grafana send it; a field of another type counts as absent. */
const errorBodySchema = z
  .object({
    message: z.string().optional().catch(undefined),
    error: z.string().optional().catch(undefined),
  })
  .catch({});

type ErrorFields = z.infer<typeof errorBodySchema>;

/** What Grafana's fetch rejects with (a FetchError), read field by field: nothing is assumed of it. */
const fetchFailureSchema = z
  .object({
    status: z.number().optional().catch(undefined),
    statusText: z.string().optional().catch(undefined),
    data: z.unknown(),
  })
  .catch({ data: undefined });

/** The longest text body shown as a message; a longer one is cut (a proxy's page, a stack trace). */
const MAX_TEXT_MESSAGE = 300;

export interface FetchFailure {
  status?: number;
  statusText?: string;
  /** The body as received. */
  data: unknown;
  /** The body's error fields, where it has them. */
  body: ErrorFields;
}

export function readFetchFailure(err: unknown): FetchFailure {
  const failure = fetchFailureSchema.parse(err);
  return { ...failure, body: readErrorBody(failure.data) };
}

/**
 * An error body's fields (a BackendError's body, say); empty when it is not one. A body that came
 * as text is read as JSON first: a request made for text (the audit export) gets the backend's JSON
 * error as a string, and Grafana's fetch hands a text body over as `{ message: text, error:
 * statusText, response: text }`. Text that is not JSON is its own message when it reads as one (not
 * a web page), on one line and at most MAX_TEXT_MESSAGE characters.
 */
export function readErrorBody(body: unknown): ErrorFields {
  const text = bodyText(body);
  return text === undefined ? errorBodySchema.parse(body) : fromText(text);
}

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') {
    return body;
  }
  if (typeof body !== 'object' || body === null || !('response' in body) || typeof body.response !== 'string') {
    return undefined;
  }
  // Grafana's wrapping of a text body; an empty one gets the status text as its message.
  const message = 'message' in body ? body.message : undefined;
  return message === body.response || body.response.trim() === '' ? body.response : undefined;
}

function fromText(text: string): ErrorFields {
  const trimmed = text.trim();
  const json = parseJson(trimmed);
  if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
    return errorBodySchema.parse(json);
  }
  if (trimmed === '' || trimmed.startsWith('<')) {
    return {};
  }
  const line = trimmed.replace(/\s+/g, ' ');
  return { message: line.length > MAX_TEXT_MESSAGE ? `${line.slice(0, MAX_TEXT_MESSAGE - 1)}…` : line };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message of anything thrown. */
export { messageOf } from '../../utils/messageOf';
