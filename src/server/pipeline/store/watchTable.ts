import type Database from 'better-sqlite3';
import { z } from 'zod';
import { decodeRow, jsonColumn } from '../../store/rows';
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
   * the watch's targets (pipeline_targets) and its resume point go first, in the same transaction.
   */
  adoptDefinition(watch: string, definition: string, now: number): boolean {
    return this.db.transaction(() => {
      const raw = this.s.definition.get(watch);
      const row = raw === undefined ? undefined : decodeRow(definitionRowSchema, TABLE, raw, watch);
      const changed = row?.definition != null && row.definition !== definition;
      if (changed) {
        this.s.forgetWatchTargets.run(watch);
        this.s.forgetResumePoint.run(watch);
      }
      this.s.setDefinition.run(watch, now, definition);
      return changed;
    })();
  }

  lastProcessed(watch: string): number | null {
    const raw = this.s.watch.get(watch);
    return raw === undefined ? null : decodeRow(resumeRowSchema, TABLE, raw, watch).last_processed_ms;
  }

  loadPeers(watch: string): StoredPeers {
    const raw = this.s.peers.get(watch);
    return (raw === undefined ? null : decodeRow(peersRowSchema, TABLE, raw, watch).peers) ?? {};
  }

  /** Where the watch resumes; its peer groups are left as stored when `peers` is absent. */
  setResumePoint(watch: string, lastProcessed: number, now: number, peers: StoredPeers | undefined): void {
    this.s.setWatch.run(watch, lastProcessed, now, peers ? JSON.stringify(peers, replaceNaN) : null);
  }
}
