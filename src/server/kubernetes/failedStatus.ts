import { Observable, ResponseContext, SelfDecodingBody } from '@kubernetes/client-node';
import { z } from 'zod';

// A Status this large is no Status: a list or an object, read no further.
const STATUS_MAX_BYTES = 64 * 1024;

const failureSchema = z.object({
  kind: z.literal('Status'),
  status: z.literal('Failure'),
  code: z.number().int().optional().catch(undefined),
});

/**
 * The error code a 2xx answer stands for when its body is a Status that says Failure; undefined for
 * any other answer. kube-apiserver writes a Status a storage returns as its result with the handler's
 * success code: an eviction of a pod that two PodDisruptionBudgets select is a 201 whose Status says
 * Failure, code 500, and deletes nothing (pkg/registry/core/pod/storage/eviction.go, rtStatus;
 * apiserver endpoints/handlers/create.go and response.go, transformResponseObject). client-go takes
 * any Status but Success as an error (rest.Result.Into, errors.FromObject); the generated client here
 * would read it as the object asked for, an Eviction, and the drain would count the pod as evicted.
 */
export function failedStatusCode(httpStatusCode: number, body: Buffer): number | undefined {
  if (httpStatusCode < 200 || httpStatusCode > 299 || body.length > STATUS_MAX_BYTES) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const failure = failureSchema.safeParse(value);
  if (!failure.success) {
    return undefined;
  }
  const code = failure.data.code;
  return code !== undefined && code >= 400 && code <= 599 ? code : 500;
}

/** Response middleware: a 2xx Failure Status reaches the client as the error it is, with its body. */
export function failureAsError(response: ResponseContext): Observable<ResponseContext> {
  return new Observable(
    response.body.binary().then((body) => {
      const code = failedStatusCode(response.httpStatusCode, body);
      return new ResponseContext(
        code ?? response.httpStatusCode,
        response.headers,
        new SelfDecodingBody(Promise.resolve(body))
      );
    })
  );
}
