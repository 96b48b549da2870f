import type { FastifyRequest } from 'fastify';

/**
 * The preValidation of a route whose body may be left out: a request sent without any (no Content-Type, no
 * length) is checked as an empty mapping, where Fastify would hand the schema null (a 400). A JSON `null`
 * sent as the body is still refused.
 */
export async function absentBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined) {
    request.body = {};
  }
}
