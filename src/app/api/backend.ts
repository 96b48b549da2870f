import { lastValueFrom } from 'rxjs';
import type { z } from 'zod';
import { getBackendSrv } from '@grafana/runtime';
import { BACKEND_PROXY_URL } from '../../constants';
import { readErrorBody, readFetchFailure } from './fetchFailure';

/** An error from the backend or the proxy in front of it, with the message to show a user. */
export class BackendError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body?: unknown
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

export interface BackendRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  params?: Record<string, string | number | undefined>;
  data?: unknown;
  /** 'text' for downloads (CSV, JSON Lines); JSON otherwise. */
  responseType?: 'json' | 'text';
}

/**
 * Calls the backend through the app's plugin-proxy route and validates the answer with the
 * contract's schema, so a mismatched backend fails loudly instead of rendering nonsense.
 */
export async function backendRequest<S extends z.ZodType>(
  path: string,
  schema: S,
  req: BackendRequest = {}
): Promise<z.infer<S>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestOnce(path, schema, req);
    } catch (err) {
      // A read the backend shed while busy is asked again after the second its Retry-After says;
      // a write is not (the user decides again).
      const canRetry = (req.method ?? 'GET') === 'GET' && attempt < SHED_RETRIES;
      if (!(err instanceof BackendError) || !isOverloaded(err) || !canRetry) {
        throw err;
      }
      await shedRetry.wait(SHED_RETRY_MS);
    }
  }
}

/** Retries of a read the backend shed (503 "overloaded"), one second apart as its Retry-After says. */
const SHED_RETRIES = 2;
const SHED_RETRY_MS = 1000;
/** The wait between retries; a test replaces it. */
export const shedRetry = { wait: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)) };

function isOverloaded(err: BackendError): boolean {
  return err.status === 503 && readErrorBody(err.body).error === 'overloaded';
}

async function requestOnce<S extends z.ZodType>(path: string, schema: S, req: BackendRequest): Promise<z.infer<S>> {
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch<unknown>({
        url: `${BACKEND_PROXY_URL}/${path.replace(/^\//, '')}`,
        method: req.method ?? 'GET',
        params: req.params,
        data: req.data,
        responseType: req.responseType,
        showErrorAlert: false,
        showSuccessAlert: false,
      })
    );
    return parseBody(schema, response.data, response.status);
  } catch (err) {
    if (err instanceof BackendError) {
      throw err;
    }
    throw toBackendError(err);
  }
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown, status: number): z.infer<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BackendError(
      `the backend answered in an unexpected shape (${issue.path.join('.') || 'body'}: ${issue.message}); are the plugin and the backend the same version?`,
      status,
      body
    );
  }
  return parsed.data;
}

export function toBackendError(err: unknown): BackendError {
  const failure = readFetchFailure(err);
  const status = failure.status ?? 0;
  const data = failure.body;
  const fromBody = data.message;
  let message: string;
  if (status === 401) {
    message = 'the backend refused the token: set the backend token in the app configuration';
  } else if (status === 403) {
    message = fromBody ? `permission denied: ${fromBody}` : 'permission denied: your Grafana role does not allow this';
  } else if (status === 503 && data.error === 'overloaded' && fromBody) {
    // Shed by the backend's load limits: it is there, only busy.
    message = fromBody;
  } else if (status === 502 || status === 503 || status === 504 || status === 0) {
    message = `the backend is unreachable${fromBody ? `: ${fromBody}` : ' (is it running, and is the backend URL right?)'}`;
  } else {
    message = fromBody ?? failure.statusText ?? 'request failed';
  }
  return new BackendError(message, status, failure.data);
}
