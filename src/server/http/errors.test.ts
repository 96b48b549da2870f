import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { registerErrorHandler } from './errors';

describe('the HTTP error handler', () => {
  const app = Fastify({ logger: false }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  app.post(
    '/things',
    {
      schema: {
        querystring: z.object({ limit: z.coerce.number().int().min(1).default(10) }),
        body: z.object({ labels: z.record(z.string(), z.string()), mode: z.enum(['auto', 'approve']) }),
      },
    },
    async () => ({ ok: true })
  );
  afterAll(() => app.close());

  const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object });

  it('names the query parameter that is not a number in plain words', async () => {
    const res = await post('/things?limit=many', { labels: {}, mode: 'auto' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: 'bad_request',
      message: 'querystring.limit: must be a number',
      field: 'querystring.limit',
    });
  });

  it('says a missing mapping is missing, and lists the allowed values of an enum', async () => {
    const missing = await post('/things', { mode: 'auto' });
    expect(missing.json().message).toBe('body.labels: is missing: it must be a mapping of names to values');
    const wrong = await post('/things', { labels: {}, mode: 'yolo' });
    expect(wrong.json().message).toBe('body.mode: must be one of "auto", "approve"');
  });
});
