import type { FastifyRequest } from 'fastify';

/**
 * The preValidation of a route whose body may be left out: a request sent without any (no Content-Type, no
 * length) is checked as an empty mapping, where Fastify would hand the schema null (a 400). A JSON `null`
 * sent as the body is still refused.
 */
async function absentBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) {
    request.body = {};
  }
}

/**
 * The onRequest of a route whose body may be left out (beside absentBodyIsEmpty): a request saying
 * `Content-Type: application/json` with `Content-Length: 0`, as fetch and Grafana's backendSrv send a POST
 * without data, is taken as one sent without a body. Fastify's JSON parser refuses an empty body
 * (FST_ERR_CTP_EMPTY_JSON_BODY, a 400), and reads none for a request without a Content-Type and with no
 * length or a length of 0; so the Content-Type of such a request is dropped here, before its body would be
 * parsed. A body that is there (`null`, malformed JSON, spaces) is parsed and refused as before.
 */
async function emptyJsonBodyIsAbsent(request: FastifyRequest): Promise<void> {
  const headers = request.raw.headers;
  const contentType = headers['content-type'];
  if (
    contentType !== undefined &&
    headers['content-length'] === '0' &&
    headers['transfer-encoding'] === undefined &&
    contentType.split(';')[0].trim().toLowerCase() === 'application/json'
  ) {
    delete headers['content-type'];
  }
}

/** The hooks of a route whose body may be left out, spread into its options: both ways of sending none are `{}`. */
export const optionalBody = { onRequest: emptyJsonBodyIsAbsent, preValidation: absentBodyIsEmpty } as const;
