/** 32 MiB: 11,000 points (pipeline.maxPointsPerQuery) × about 100 series of a query_range answer. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/** The answer outgrew the limit; the request was aborted and what was read is dropped. */
export class ResponseTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`the answer was larger than ${formatBytes(limitBytes)}`);
    this.name = 'ResponseTooLargeError';
  }
}

/**
 * Reads a response body as a stream, counting bytes, and aborts the request as soon as it passes
 * maxBytes, so one huge answer costs at most maxBytes of memory and never a whole-body buffer.
 * A Content-Length above the limit is refused before anything is read.
 */
export async function readBoundedText(response: Response, maxBytes: number, abort?: () => void): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    abort?.();
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(maxBytes);
  }
  if (!response.body) {
    return '';
  }
  const reader = response.body.getReader();
  // Each chunk is decoded as it comes and let go: kept until the end (and copied into one buffer),
  // a large answer's chunks outlived the young generation while it was read, so their bytes, held
  // outside the V8 heap, waited for a full GC (issue 16: ~11 MB an answer of 100,000 series, on top
  // of the heap's own peak). The BOM is kept, as Buffer#toString keeps it.
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let text = '';
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    total += value.byteLength;
    if (total > maxBytes) {
      abort?.();
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/**
 * How every request to an upstream (Prometheus, Alertmanager, Grafana, the webhook) treats a
 * redirect: not followed, answered as the 3xx it is (an error naming the status). Followed, whoever
 * answers for one, or the network before a plain-HTTP one, sent the backend to any address it
 * reaches (a cluster service, a cloud metadata endpoint), and the first 200 characters of that
 * answer came back in errors that /api/watches and the actions list show every Viewer.
 */
export const NO_REDIRECTS = { redirect: 'manual' } as const satisfies RequestInit;

/** Small answers (a created annotation's id, an error body shown in a message) are read up to 64 KiB. */
export const SMALL_ANSWER_BYTES = 64 * 1024;

/** An upstream's error body for a message: at most 200 characters, never more than 64 KiB read. */
export async function answerSnippet(response: Response): Promise<string> {
  try {
    return (await readBoundedText(response, SMALL_ANSWER_BYTES)).slice(0, 200);
  } catch (err) {
    return err instanceof ResponseTooLargeError ? `(${err.message})` : '';
  }
}

/** 33554432 → "32 MiB"; 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
