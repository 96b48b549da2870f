import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type AuditEntry, auditListSchema, auditQuerySchema } from '../../../contract/healing';
import type { ErrorBody } from '../../../contract/health';
import type { Clock } from '../../clock';
import type { HealingEngine } from '../../healing';
import { RETRY_AFTER_SECONDS } from '../loadShedding';

const CSV_COLUMNS = ['id', 'at', 'kind', 'actionId', 'triggerId', 'user', 'comment', 'message', 'details'] as const;

function csvCell(value: unknown): string {
  if (value === undefined || value === null) {
    return '';
  }
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // Quoted always; a leading formula character (OWASP's list: = + - @ tab carriage return) is defused so a
  // spreadsheet does not execute it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

function csvLine(entry: AuditEntry): string {
  const row = { ...entry, at: new Date(entry.at).toISOString() };
  return CSV_COLUMNS.map((c) => csvCell(row[c])).join(',') + '\r\n';
}

/**
 * Exports downloading at once; beyond it 503. An export streams for as long as its client takes to
 * read it, so it leaves the requests in flight once under way: counted there, a Viewer's downloads
 * read slowly (or not at all) held server.maxConcurrentRequests' slots, and every other API request
 * was refused with 503, the kill switch included.
 */
export const MAX_AUDIT_EXPORTS = 4;

/**
 * How long an export may wait on its client to take anything before it is ended and its slot
 * freed: a client that stopped reading (a closed laptop, a stuck proxy) would hold it for good.
 */
export const AUDIT_EXPORT_STALL_MS = 30_000;

/**
 * Ends `res` once it has waited for 'drain' (its client reads nothing while the socket's buffers are
 * full) at two looks `stallMs` apart with no 'drain' between: stalled for `stallMs` at least, twice
 * that at most. A client that reads, however slowly, drains the buffers now and then and goes on.
 */
function endWhenStalled(res: ServerResponse, clock: Clock, stallMs: number, onStall: () => void): void {
  let drained = false;
  let waitingBefore = false;
  const onDrain = () => {
    drained = true;
  };
  res.on('drain', onDrain);
  const stop = clock.every(stallMs, () => {
    const waiting = res.writableNeedDrain;
    if (waiting && waitingBefore && !drained) {
      onStall();
      res.destroy();
    }
    waitingBefore = waiting;
    drained = false;
  });
  res.once('close', () => {
    stop();
    res.off('drain', onDrain);
  });
}

/** The audit log: newest first in pages, or every matching entry as CSV or JSON Lines (oldest first). */
export function auditRoutes(engine: HealingEngine): FastifyPluginAsyncZod {
  return async (app) => {
    let exporting = 0;
    app.get('/api/audit', { schema: { querystring: auditQuerySchema } }, async (request, reply) => {
      const query = request.query;
      if (query.format === 'json') {
        return reply.send(auditListSchema.parse(await engine.audit.list(query)));
      }
      if (exporting >= MAX_AUDIT_EXPORTS) {
        const body: ErrorBody = {
          error: 'overloaded',
          message: `${MAX_AUDIT_EXPORTS} audit exports are downloading; retry shortly`,
        };
        return reply.code(503).header('Retry-After', String(RETRY_AFTER_SECONDS)).send(body);
      }
      exporting++;
      reply.raw.once('close', () => exporting--);
      request.leaveInFlight();
      endWhenStalled(reply.raw, engine.clock, AUDIT_EXPORT_STALL_MS, () =>
        request.log.warn(
          { stalledMs: AUDIT_EXPORT_STALL_MS },
          'audit export ended: its client read nothing for too long, and its download slot is free again'
        )
      );
      const entries = engine.audit.iterate(query);
      const lines =
        query.format === 'csv'
          ? (async function* () {
              yield CSV_COLUMNS.join(',') + '\r\n';
              for await (const e of entries) {
                yield csvLine(e);
              }
            })()
          : (async function* () {
              for await (const e of entries) {
                yield JSON.stringify(e) + '\n';
              }
            })();
      return reply
        .header(
          'Content-Type',
          query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8'
        )
        .header('Content-Disposition', `attachment; filename="failureprophet-audit.${query.format}"`)
        .send(Readable.from(lines));
    });
  };
}
