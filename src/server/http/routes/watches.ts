import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorBodySchema, type ErrorBody } from '../../../contract/health';
import { putWatchesBodySchema, watchesConfigResponseSchema, watchListSchema } from '../../../contract/watches';
import type { Pipeline } from '../../pipeline/pipeline';
import { shownWatches, withSavedPasswords } from '../../pipeline/watchSourceSecrets';
import type { EffectiveWatches, WatchSettings } from '../../pipeline/watchSettings';
import { requestUser } from './user';
import { counted } from '../../../utils/count';

/** The configuration as the API shows it: no source password (Viewers read it). */
const answer = ({ parsed: _parsed, ...response }: EffectiveWatches) => ({
  ...response,
  watches: shownWatches(response.watches),
});

/** A change of the watch set, for the audit log (main hands it to the healing engine's). */
export interface WatchesChange {
  user: string;
  message: string;
  details: { added: string[]; changed: string[]; removed: string[]; unchanged: string[] };
}

const summary = (c: WatchesChange['details']) =>
  (['added', 'changed', 'removed'] as const)
    .filter((k) => c[k].length)
    .map((k) => `${k} ${c[k].join(', ')}`)
    .join('; ') || 'nothing changed';

/**
 * What the pipeline watches, as configuration: read (Viewer through the proxy) and replaced or
 * reset (Admin: Grafana's proxy lets only Admins PUT and DELETE under api/admin/*). The status of
 * the running watches stays at GET /api/watches.
 */
export function watchRoutes(
  pipeline: Pipeline,
  settings: WatchSettings,
  onChange: (change: WatchesChange) => void = () => undefined
): FastifyPluginAsyncZod {
  // One change at a time, so the store and the running set cannot end up from different requests.
  let last: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = last.then(fn, fn);
    last = run.catch(() => undefined);
    return run;
  };

  return async (app) => {
    app.get('/api/watches/config', { schema: { response: { 200: watchesConfigResponseSchema } } }, async () =>
      answer(settings.current())
    );

    app.put(
      '/api/admin/watches',
      { schema: { body: putWatchesBodySchema, response: { 200: watchesConfigResponseSchema, 400: errorBodySchema } } },
      async (request, reply) => {
        const sent = withSavedPasswords(request.body.watches, settings.current().watches);
        if (!sent.ok) {
          const field = `body.watches.${sent.index}.source.prometheus`;
          const body: ErrorBody = {
            error: 'bad_request',
            message: `${field}: its credentials are the *** shown in place of a password, but no saved source of watch "${request.body.watches[sent.index].name}" has this URL: write the password`,
            field,
          };
          return reply.code(400).send(body);
        }
        const watches = watchListSchema.parse(sent.watches);
        const [refused] = await pipeline.refusedQueries(watches);
        if (refused) {
          const field = `body.watches.${refused.watch}.queries.${refused.signal}`;
          const body: ErrorBody = {
            error: 'bad_request',
            message: `${field}: watch "${watches[refused.watch].name}", query "${refused.signal}": ${refused.message}`,
            field,
          };
          return reply.code(400).send(body);
        }
        const user = requestUser(request);
        return serially(async () => {
          const saved = await settings.save(sent.watches, user);
          const changes = await pipeline.replaceWatches(saved.parsed);
          request.log.warn({ user, ...changes }, 'watches saved');
          onChange({
            user,
            message: `${user} saved ${counted(saved.parsed.length, 'watch', 'watches')}: ${summary(changes)}`,
            details: changes,
          });
          return answer(saved);
        });
      }
    );

    app.delete(
      '/api/admin/watches',
      { schema: { response: { 200: watchesConfigResponseSchema } } },
      async (request) => {
        const user = requestUser(request);
        return serially(async () => {
          const reset = await settings.reset(user);
          const changes = await pipeline.replaceWatches(reset.parsed);
          request.log.warn(
            { user, ...changes },
            `watches reset to the ${reset.source === 'file' ? 'config file' : 'default'} watches`
          );
          onChange({
            user,
            message: `${user} reset the watches to the ${reset.source === 'file' ? 'config file' : 'default'} watches: ${summary(changes)}`,
            details: changes,
          });
          return answer(reset);
        });
      }
    );
  };
}
