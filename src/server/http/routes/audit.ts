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
 * The least an export's client must take per AUDIT_EXPORT_STALL_MS while the export waits on it:
 * 8 KiB/s, a 64 kbit/s link (GPRS, ISDN; Grafana's own pages weigh megabytes, so a Viewer on a
 * slower link cannot reach the export button). Without it, a client reading a little now and then
 * (slowloris) held a slot as surely as one that read nothing: nginx's send_timeout and the stall
 * rule alone ask only for some progress between two writes; Apache's mod_reqtimeout asks a MinRate.
 */
export const AUDIT_EXPORT_MIN_BYTES_PER_STALL = 8192 * (AUDIT_EXPORT_STALL_MS / 1000);

/**
 * Ends `res` once it has waited on its client (the socket's buffers full) at two looks `stallMs`
 * apart and the client took less than `minBytes` of the export (`sent`) between them: stalled, or
 * slower than any real link, for `stallMs` at least, twice that at most. A client that reads at a
 * real link's pace goes on, however long its file takes; an export waiting on the store does too.
 */
function endWhenStalled(
  res: ServerResponse,
  clock: Clock,
  limits: { stallMs: number; minBytes: number },
  sent: () => number,
  onStall: () => void
): void {
  let waitingBefore = false;
  let sentBefore = 0;
  const stop = clock.every(limits.stallMs, () => {
    const waiting = res.writableNeedDrain;
    if (waiting && waitingBefore && sent() - sentBefore < limits.minBytes) {
      onStall();
      res.destroy();
    }
    waitingBefore = waiting;
    sentBefore = sent();
  });
  res.once('close', stop);
}

/** The lines of an export, counting the bytes they hold as the response takes them. */
async function* counted(lines: AsyncIterable<string>, count: (bytes: number) => void): AsyncGenerator<string> {
  for await (const line of lines) {
    count(Buffer.byteLength(line));
    yield line;
  }
}

/**
 * The audit log: newest first in pages, or every matching entry as CSV or JSON Lines (oldest first).
 * `minBytesPerStall`: tests on loopback, whose buffers hold megabytes, ask more.
 */
export function auditRoutes(
  engine: HealingEngine,
  minBytesPerStall = AUDIT_EXPORT_MIN_BYTES_PER_STALL
): FastifyPluginAsyncZod {
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
      let sent = 0;
      endWhenStalled(
        reply.raw,
        engine.clock,
        { stallMs: AUDIT_EXPORT_STALL_MS, minBytes: minBytesPerStall },
        () => sent,
        () =>
          request.log.warn(
            { stalledMs: AUDIT_EXPORT_STALL_MS, minBytes: minBytesPerStall },
            'audit export ended: its client read too little for too long, and its download slot is free again'
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
        .send(Readable.from(counted(lines, (bytes) => (sent += bytes))));
    });
  };
}
