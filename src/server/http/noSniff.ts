import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Answers echo what a client wrote (a path in a 404, a target id, a comment in the audit export): a browser
 * shown one through Grafana's proxy must take it as the type it is sent as, never sniff HTML in it.
 */
export const setNoSniff = (reply: FastifyReply): FastifyReply => reply.header('X-Content-Type-Options', 'nosniff');

/** Sets it on every answer, first thing for a request, so shed, refused and unrouted answers carry it too. */
export function registerNoSniff(app: FastifyInstance<any, any, any, any, any>): void {
  app.addHook('onRequest', async (_request, reply) => {
    setNoSniff(reply);
  });
}
