import { decodeLegacyState, encodeState } from '../../pipeline/store/stateCodec';
import { ANOMALIES, MODELS, PREDICTIONS, TARGET_SUMMARIES } from '../pipelineTables';
import { RETRAIN_CLAIM_COLUMNS, RETRAIN_REQUESTS } from '../../pipeline/store/retrainRequestTable';
import { proposalKey } from '../postgres/triggerWrites';
import { SkippedRow, table, type TableCopy } from './plan';

// What `store:copy` carries from a SQLite store to PostgreSQL, table by table, and what it leaves
// out and why. The copy checks both schemas against these lists before it writes anything, so a
// migration that adds a table or a column stops it with a message instead of leaving it behind.

/** In the order PostgreSQL's foreign keys need: triggers before actions, anomalies before feedback. */
export const COPIED_TABLES: TableCopy[] = [
  table('settings', { columns: { key: 'text', value: 'json', updated_at: 'int' } }),
  table('pipeline_watches', {
    columns: {
      name: 'text',
      last_processed_ms: 'int?',
      updated_at: 'int',
      definition: 'text?',
      // Non-finite numbers are tagged the same way in both stores.
      peers: 'json?',
    },
  }),
  table('pipeline_targets', {
    columns: {
      id: 'text',
      watch: 'text',
      labels: 'json',
      state: 'text',
      checkpoint: 'blob?',
      last_sample_ms: 'int?',
      updated_at: 'int',
    },
    // PostgreSQL keeps only the compact form: a row still in the JSON form of earlier builds is
    // converted as the SQLite store would on its watch's next load.
    consumed: ['state', 'checkpoint'],
    computed: {
      checkpoint: {
        type: 'blob',
        value: ({ checkpoint, state }) => {
          if (checkpoint instanceof Uint8Array) {
            return checkpoint;
          }
          try {
            return encodeState(decodeLegacyState(String(state)));
          } catch (err) {
            return new SkippedRow(`its stored state cannot be read (${String(err)}): the target relearns`);
          }
        },
      },
    },
  }),
  table(TARGET_SUMMARIES.name, { columns: TARGET_SUMMARIES.columns }),
  // Migrations 0009 and 5 added where each episode peaked.
  table(ANOMALIES.name, { identity: true, columns: { ...ANOMALIES.columns, peak: 'json?' } }),
  table('anomaly_feedback', {
    identity: true,
    columns: {
      id: 'int',
      anomaly_id: 'int',
      kind: 'text',
      source: 'text',
      user: 'text?',
      comment: 'text?',
      created_at: 'int',
    },
    renamed: { user: 'user_name' },
  }),
  table(PREDICTIONS.name, { identity: true, columns: PREDICTIONS.columns }),
  table(MODELS.name, { identity: true, columns: MODELS.columns }),
  // Migrations 0020 and 16 added who took each request and when it expired.
  table(RETRAIN_REQUESTS.name, { identity: true, columns: { ...RETRAIN_REQUESTS.columns, ...RETRAIN_CLAIM_COLUMNS } }),
  table('healing_triggers', {
    // trigger_target: the actions list's triggerTarget filter reads it on both (SQLite's since its migration 0016;
    // a trigger of a shape no build reads has none, found by no target filter).
    columns: {
      key: 'text',
      source: 'text',
      trigger: 'json',
      trigger_target: 'text?',
      opened_at: 'int',
      closed_at: 'int?',
    },
  }),
  table('healing_actions', {
    identity: true,
    columns: {
      id: 'int',
      trigger_key: 'text',
      policy: 'text',
      gate: 'text',
      action_type: 'text',
      target: 'text',
      namespace: 'text?',
      state: 'text',
      action: 'json',
      dry_run: 'json?',
      decisions: 'json',
      reason: 'json?',
      progress: 'json?',
      result: 'json?',
      verification: 'json?',
      created_at: 'int',
      updated_at: 'int',
      expires_at: 'int?',
      started_at: 'int?',
      finished_at: 'int?',
      ladder: 'json?',
    },
    computed: {
      // SQLite's UNIQUE (trigger_key, action_type, target), as PostgreSQL's key writes it.
      idempotency_key: {
        type: 'text',
        value: (row) =>
          proposalKey({
            triggerKey: String(row.trigger_key),
            type: String(row.action_type),
            target: String(row.target),
          }),
      },
    },
    postgresOnly: {
      claimed_by: 'the replica executing it: none yet (the one SQLite backend was stopped to copy)',
      change_token: "a change's token, kept for the retry of a lost answer: none yet",
    },
  }),
  table('healing_audit', {
    identity: true,
    columns: {
      id: 'int',
      at: 'int',
      kind: 'text',
      action_id: 'int?',
      trigger_id: 'text?',
      user: 'text?',
      comment: 'text?',
      message: 'text',
      details: 'json?',
      target_id: 'text?',
    },
  }),
  table('healing_retention', { columns: { id: 'int', audit_cutoff: 'int' } }),
  table('healing_breakers', {
    identity: true,
    columns: {
      id: 'int',
      target: 'text',
      action_type: 'text',
      repeats: 'int',
      window_seconds: 'int',
      action_id: 'int',
      opened_at: 'int',
      closed_at: 'int?',
      closed_by: 'text?',
      comment: 'text?',
    },
  }),
  table('healing_nodes_held', { columns: { node: 'text', action_id: 'int', since: 'int' } }),
  // Migrations 0022 and 18: the notifications' hourly count and the held-back requests a summary tells.
  table('healing_announcements', {
    identity: true,
    columns: { id: 'int', at: 'int', kind: 'text', action_id: 'int?' },
  }),
];

/** SQLite tables not copied, and why. */
export const SQLITE_ONLY: Record<string, string> = {
  schema_migrations: "the target records its own migrations (this build's, as the source's are)",
  healing_action_counts: "SQLite's count of actions per state, kept by its triggers; PostgreSQL counts the rows",
  healing_audit_counts: "SQLite's count of audit entries per kind, kept by its triggers; PostgreSQL counts the rows",
  healing_audit_target_counts:
    "SQLite's count of audit entries per target, kept by its trigger; PostgreSQL's own trigger counts the entries copied",
};

/** PostgreSQL's counts its triggers keep as the copied rows are written: emptied with them when a copy is undone. */
export const POSTGRES_COUNTS = ['healing_audit_target_counts'];

/** PostgreSQL tables the copy leaves empty, and why. */
export const POSTGRES_ONLY: Record<string, string> = {
  schema_migrations: "this build's PostgreSQL migrations, applied before the copy",
  coordination_members: 'the live replicas sharing the watches: none before they start',
  store_requests: 'results of writes kept for a retry after a lost answer: none yet',
  healing_audit_target_counts: 'the count of audit entries per target, kept by its trigger as the entries are copied',
};

/** A table's columns, by table. */
export type Schema = Map<string, string[]>;

/**
 * What the plan does not account for: a table or column of either store that is neither copied nor
 * said to be left out. Empty when the copy carries everything.
 */
export function coverageGaps(sqlite: Schema, postgres: Schema): string[] {
  const gaps: string[] = [];
  const copied = new Map(COPIED_TABLES.map((t) => [t.table, t]));
  for (const [name, columns] of sqlite) {
    const plan = copied.get(name);
    if (!plan) {
      if (!(name in SQLITE_ONLY) && !name.startsWith('sqlite_')) {
        gaps.push(`SQLite table ${name} is not copied`);
      }
      continue;
    }
    const read = new Set(plan.readColumns);
    gaps.push(...columns.filter((c) => !read.has(c)).map((c) => `SQLite column ${name}.${c} is not copied`));
    gaps.push(...plan.readColumns.filter((c) => !columns.includes(c)).map((c) => `SQLite has no ${name}.${c}`));
  }
  for (const [name, columns] of postgres) {
    const plan = copied.get(name);
    if (!plan) {
      if (!(name in POSTGRES_ONLY)) {
        gaps.push(`PostgreSQL table ${name} is not written`);
      }
      continue;
    }
    const written = new Set([...plan.writeColumns.map((c) => c.name), ...Object.keys(plan.postgresOnly)]);
    gaps.push(...columns.filter((c) => !written.has(c)).map((c) => `PostgreSQL column ${name}.${c} is not written`));
    gaps.push(...[...written].filter((c) => !columns.includes(c)).map((c) => `PostgreSQL has no ${name}.${c}`));
  }
  for (const plan of COPIED_TABLES) {
    for (const [store, schema] of [
      ['SQLite', sqlite],
      ['PostgreSQL', postgres],
    ] as const) {
      if (!schema.has(plan.table)) {
        gaps.push(`${store} has no table ${plan.table}`);
      }
    }
  }
  return gaps;
}
