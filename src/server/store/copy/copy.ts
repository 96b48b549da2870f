import { dirname } from 'node:path';
import { messageOf } from '../../../utils/messageOf';
import { isPostgresUrl } from '../postgres/pool';
import { StoreCopyError } from './errors';
import { SkippedRow, type TableCopy } from './plan';
import { COPIED_TABLES, coverageGaps } from './tables';
import { sealedSettingsNotes } from './sealed';
import { openCopySource, type CopySource } from './source';
import { CopyTarget } from './target';

export { StoreCopyError } from './errors';

export interface CopyOptions {
  /** The SQLite store: its data dir (FP_DATA_DIR), or the database file in it. */
  from: string;
  /** The PostgreSQL database: postgres://user:password@host:port/database. */
  to: string;
  /** Told each step as it ends; never the URL's password. */
  log?: (line: string) => void;
  /** Where FP_SECRET_KEY is read, to say which key opens the sealed settings. */
  env?: NodeJS.ProcessEnv;
  /** One transaction holds at most this many rows and about this many bytes. */
  batch?: { rows: number; bytes: number };
}

export interface CopyReport {
  /** Rows copied, by table, in the order copied. */
  tables: Array<{ table: string; rows: number }>;
  /** Values written U+FFFD where they held what PostgreSQL cannot (U+0000, a lone surrogate), by table; only tables with some. */
  mapped: Array<{ table: string; values: number }>;
  /** Rows left out, each with why (a target state no build can read: it relearns). */
  skipped: Array<{ table: string; rowid: number; reason: string }>;
  /** What the replicas need to open the sealed settings. */
  secrets: string[];
}

const DEFAULT_BATCH = { rows: 500, bytes: 8 * 1024 * 1024 };
/** PostgreSQL takes at most 65,535 parameters in one statement. */
const MAX_PARAMETERS = 65_535;

/**
 * Copies a SQLite store into an empty PostgreSQL database, everything the backend keeps, with its
 * ids, so the PostgreSQL store continues where SQLite stopped. Both are brought to this build's
 * schema first. Refuses a source a running backend holds, a target that holds rows, and either
 * store written by a newer build; a failure once rows were written empties the target again.
 */
export async function copyStore(options: CopyOptions): Promise<CopyReport> {
  if (!isPostgresUrl(options.to)) {
    throw new StoreCopyError('the target is not a PostgreSQL URL (postgres://user:password@host:5432/database)');
  }
  const log = options.log ?? (() => undefined);
  const source = openCopySource(options.from);
  try {
    const target = new CopyTarget(options.to);
    try {
      return await copyInto(source, target, options, log);
    } finally {
      await target.close();
    }
  } finally {
    source.close();
  }
}

async function copyInto(
  source: CopySource,
  target: CopyTarget,
  options: CopyOptions,
  log: (line: string) => void
): Promise<CopyReport> {
  const refuseNonEmpty = (nonEmpty: string[]) => {
    if (nonEmpty.length > 0) {
      throw new StoreCopyError(
        `PostgreSQL at ${target.where} is not empty (${nonEmpty.join(', ')} hold rows): the copy fills an empty database only; create one (CREATE DATABASE) and name it instead`
      );
    }
  };
  // Before migrating: a database holding someone's rows is left as it is.
  const before = await target.inspect();
  if (!before.unfinished) {
    refuseNonEmpty(before.nonEmpty);
  }
  // Nothing is written to either store before this point; a database a newer build migrated is refused here.
  const ran = await target.migrate();
  if (ran.length > 0) {
    log(`PostgreSQL at ${target.where}: migrations ${ran.join(', ')} applied`);
  }
  const migrated = source.migrate();
  if (migrated.length > 0) {
    log(`${source.file}: migrations ${migrated.join(', ')} applied, as this build's backend does at start`);
  }
  await target.lock();
  const state = await target.inspect();
  if (state.unfinished) {
    log(`PostgreSQL at ${target.where} holds a copy that did not finish: emptied before copying again`);
    await target.clear();
  } else {
    refuseNonEmpty(state.nonEmpty);
  }
  const gaps = coverageGaps(source.schema(), await target.schema());
  if (gaps.length > 0) {
    throw new StoreCopyError(`this build's copy does not cover the stores' schemas: ${gaps.join('; ')}`);
  }

  await target.markStarted(source.file);
  const report: CopyReport = { tables: [], mapped: [], skipped: [], secrets: [] };
  let current = '';
  try {
    for (const plan of COPIED_TABLES) {
      current = plan.table;
      const rows = await copyTable(source, target, plan, options.batch ?? DEFAULT_BATCH, report);
      const stored = await target.count(plan.table);
      if (stored !== rows) {
        throw new StoreCopyError(`${plan.table}: ${rows} rows written, ${stored} found`);
      }
      report.tables.push({ table: plan.table, rows });
      const mapped = report.mapped.find((m) => m.table === plan.table)?.values;
      log(
        `${plan.table}: ${rows} rows${mapped ? ` (${mapped} values with U+FFFD for U+0000 or a lone surrogate, which PostgreSQL cannot store, as its store writes them)` : ''}`
      );
    }
    current = 'the identities';
    const sequences = source.sequences();
    const nextAfter = new Map(
      COPIED_TABLES.filter((t) => t.identity).map((t) => [t.table, sequences.get(t.table) ?? 0])
    );
    await target.finish(nextAfter);
  } catch (err) {
    const stopped = `the copy stopped at ${current}: ${messageOf(err)}`;
    try {
      await target.clear();
    } catch (clearing) {
      throw new StoreCopyError(
        `${stopped}. The target could not be emptied again (${messageOf(clearing)}): run the same command again, it empties a copy that did not finish before copying`,
        { cause: err }
      );
    }
    throw new StoreCopyError(
      `${stopped}. The target was emptied again: mend the cause and run the same command again`,
      {
        cause: err,
      }
    );
  }
  report.secrets = sealedSettingsNotes(source.settings(), dirname(source.file), options.env ?? process.env);
  return report;
}

/** A table's rows, read a page at a time and written in bounded transactions; how many were written. */
async function copyTable(
  source: CopySource,
  target: CopyTarget,
  plan: TableCopy,
  limits: { rows: number; bytes: number },
  report: CopyReport
): Promise<number> {
  const maxRows = Math.max(1, Math.min(limits.rows, Math.floor(MAX_PARAMETERS / plan.writeColumns.length)));
  let written = 0;
  let batch: unknown[][] = [];
  let bytes = 0;
  const flush = async () => {
    if (batch.length > 0) {
      const mapped = await target.insert(plan, batch);
      if (mapped > 0) {
        const counted = report.mapped.find((m) => m.table === plan.table);
        if (counted) {
          counted.values += mapped;
        } else {
          report.mapped.push({ table: plan.table, values: mapped });
        }
      }
      written += batch.length;
      batch = [];
      bytes = 0;
    }
  };
  for (let after = 0; ;) {
    const page = source.page(plan, after, maxRows);
    if (page.length === 0) {
      break;
    }
    for (const { rowid, raw } of page) {
      const values = plan.values(raw);
      if (values instanceof SkippedRow) {
        report.skipped.push({ table: plan.table, rowid, reason: values.reason });
        continue;
      }
      batch.push(values);
      bytes += values.reduce<number>((n, v) => n + sizeOf(v), 0);
      if (batch.length >= maxRows || bytes >= limits.bytes) {
        await flush();
      }
    }
    after = page[page.length - 1].rowid;
  }
  await flush();
  return written;
}

const sizeOf = (value: unknown): number =>
  typeof value === 'string' ? value.length : value instanceof Uint8Array ? value.byteLength : 8;
