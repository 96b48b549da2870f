import type Database from 'better-sqlite3';
import { z } from 'zod';
import { decodeRow, jsonColumn, StoredRowError } from '../../store/rows';
import { SUPERSEDE_WATCH_SQL } from './modelTable';
import { replaceNaN, reviveNaN } from './stateCodec';

/** A watch's peer-group detectors: which targets each group had (in order) and its state. */
export type StoredPeers = Record<string, { members: string[]; state: unknown }>;

const storedPeersSchema = z.record(z.string(), z.object({ members: z.array(z.string()), state: z.unknown() }));
const definitionRowSchema = z.object({ definition: z.string().nullable() });
const resumeRowSchema = z.object({ last_processed_ms: z.number().nullable() });
const peersRowSchema = z.object({ peers: jsonColumn(storedPeersSchema, reviveNaN).nullable() });

const TABLE = 'pipeline_watches';

/** pipeline_watches: per watch, the definition it runs under, where it resumes, and its peer groups. */
export class WatchTable {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      watch: db.prepare('SELECT last_processed_ms FROM pipeline_watches WHERE name = ?'),
      definition: db.prepare('SELECT definition FROM pipeline_watches WHERE name = ?'),
      setDefinition: db.prepare(
        `INSERT INTO pipeline_watches (name, last_processed_ms, updated_at, definition) VALUES (?, NULL, ?, ?)
         ON CONFLICT(name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at`
      ),
      forgetWatchTargets: db.prepare('DELETE FROM pipeline_targets WHERE watch = ?'),
      supersedeModels: db.prepare(SUPERSEDE_WATCH_SQL),
      forgetResumePoint: db.prepare(
        'UPDATE pipeline_watches SET last_processed_ms = NULL, peers = NULL WHERE name = ?'
      ),
      setWatch: db.prepare(
        `INSERT INTO pipeline_watches (name, last_processed_ms, updated_at, peers) VALUES (?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET last_processed_ms = excluded.last_processed_ms, updated_at = excluded.updated_at,
           peers = COALESCE(excluded.peers, pipeline_watches.peers)`
      ),
      peers: db.prepare('SELECT peers FROM pipeline_watches WHERE name = ?'),
    };
  }

  /**
   * Records the definition a watch runs under; when the stored state was learned under another one,
   * the watch's targets (pipeline_targets) and its resume point go first and its active model
   * versions are superseded, in the same transaction.
   */
  adoptDefinition(watch: string, definition: string, now: number): boolean {
    return this.db.transaction(() => {
      const changed = definitionChanged(this.s.definition.get(watch), definition);
      if (changed) {
        this.s.forgetWatchTargets.run(watch);
        this.s.forgetResumePoint.run(watch);
        this.s.supersedeModels.run(watch);
      }
      this.s.setDefinition.run(watch, now, definition);
      return changed;
    })();
  }

  lastProcessed(watch: string): number | null {
    return readResumePoint(this.s.watch.get(watch), watch);
  }

  loadPeers(watch: string): StoredPeers {
    return readPeers(this.s.peers.get(watch), watch);
  }

  /**
   * Where the watch resumes. The peer groups given replace the stored ones of the same key, the
   * forgotten ones go, and the others stay (replicas sharing the watch each write their own).
   * Inside the cycle's transaction, so the read and the write are one change.
   */
  setResumePoint(
    watch: string,
    lastProcessed: number,
    now: number,
    peers: StoredPeers | undefined,
    forgotten: string[] = []
  ): void {
    let merged: StoredPeers | undefined;
    if (peers || forgotten.length > 0) {
      merged = { ...this.storedPeersOrNone(watch), ...peers };
      for (const key of forgotten) {
        delete merged[key];
      }
    }
    this.s.setWatch.run(watch, lastProcessed, now, peersText(merged));
  }

  /** An unreadable row (restore relearned it, with a warning) is replaced, not kept. */
  private storedPeersOrNone(watch: string): StoredPeers {
    try {
      return this.loadPeers(watch);
    } catch (err) {
      if (err instanceof StoredRowError) {
        return {};
      }
      throw err;
    }
  }
}

/**
 * Whether the definition row read (undefined: none) holds another definition than `definition`. One
 * that cannot be read (a damaged or hand-edited row) counts as another: what the state was learned
 * under is unknown, so the watch relearns from its history, and the definition is written anew.
 * Refused instead, it failed every restore, and the watch scored nothing until the row was mended.
 */
export function definitionChanged(raw: unknown, definition: string): boolean {
  const row = raw === undefined ? undefined : definitionRowSchema.safeParse(raw);
  if (row !== undefined && !row.success) {
    return true;
  }
  return row?.data.definition != null && row.data.definition !== definition;
}

export function readResumePoint(raw: unknown, watch: string): number | null {
  return raw === undefined ? null : decodeRow(resumeRowSchema, TABLE, raw, watch).last_processed_ms;
}

export function readPeers(raw: unknown, watch: string): StoredPeers {
  try {
    return (raw === undefined ? null : decodeRow(peersRowSchema, TABLE, raw, watch).peers) ?? {};
  } catch (err) {
    throw err instanceof StoredRowError ? new UnreadablePeersError(err.message, storedGroupKeys(raw)) : err;
  }
}

/**
 * Stored peer groups that do not fit: relearned, and the groups named (when the row is a JSON
 * object) deleted with the next checkpoint. Merged by group as the stores write them, an unreadable
 * group no replica scores any more (its deployment gone) stayed, and every restart refused the row.
 */
export class UnreadablePeersError extends StoredRowError {
  constructor(
    message: string,
    /** The groups the stored row names. */
    readonly groups: string[]
  ) {
    super(message);
  }
}

/** The group keys an unreadable peers row names: its JSON object's keys, or none. */
function storedGroupKeys(raw: unknown): string[] {
  const row = z.object({ peers: z.string() }).safeParse(raw);
  if (!row.success) {
    return [];
  }
  try {
    const peers: unknown = JSON.parse(row.data.peers);
    return typeof peers === 'object' && peers !== null && !Array.isArray(peers) ? Object.keys(peers) : [];
  } catch {
    return [];
  }
}

/** Peer groups as stored: JSON with the detectors' non-finite numbers tagged; null leaves the stored ones. */
export function peersText(peers: StoredPeers | undefined): string | null {
  return peers ? JSON.stringify(peers, replaceNaN) : null;
}
