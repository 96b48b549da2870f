import { z } from 'zod';
import { closedAtRow, proposalValues, triggerKey, triggerTargetOf } from '../../healing/store/actionRows';
import type { ActionToInsert, OpenedTrigger, TriggerToClose, TriggerToOpen } from '../../healing/store/repositories';
import { decodeRow } from '../rows';
import { ids } from './actionReads';
import { appendAudit } from './audit';
import type { Run } from './database';

// The writes of a trigger handed in (an anomaly, an alert) inside the caller's transaction: one
// for a single trigger, one for an alert group.

/** Whether an upsert inserted (`xmax = 0`) rather than updated. */
const insertedRow = z.object({ inserted: z.boolean() });

/** The key that makes a proposal one row whichever replica makes it: trigger, action type, target (as SQLite's UNIQUE). */
export const proposalKey = (input: { triggerKey: string; type: string; target: string }) =>
  `${input.triggerKey}|${input.type}|${input.target}`;

export async function openOne(run: Run, { trigger, notes }: TriggerToOpen, at: number): Promise<OpenedTrigger> {
  const key = triggerKey(trigger);
  const { rows } = await run('SELECT closed_at FROM healing_triggers WHERE key = $1 FOR UPDATE', [key]);
  let opened: OpenedTrigger;
  if (rows.length === 0) {
    // Two replicas may open the same trigger at once: the second finds it, as if it came later.
    const inserted = await run(
      `INSERT INTO healing_triggers (key, source, trigger, trigger_target, opened_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET trigger = EXCLUDED.trigger RETURNING (xmax = 0) AS inserted`,
      [key, trigger.source, JSON.stringify(trigger), triggerTargetOf(trigger), at]
    );
    opened = { isNew: decodeRow(insertedRow, 'healing_triggers', inserted.rows[0]).inserted, reopened: false };
  } else {
    const existing = decodeRow(closedAtRow, 'healing_triggers', rows[0]);
    await run('UPDATE healing_triggers SET trigger = $2, closed_at = NULL WHERE key = $1', [
      key,
      JSON.stringify(trigger),
    ]);
    opened = { isNew: false, reopened: existing.closed_at !== null };
  }
  for (const entry of notes(opened)) {
    await appendAudit(run, entry);
  }
  return opened;
}

export async function closeOne(run: Run, { key, note }: TriggerToClose, at: number): Promise<boolean> {
  const closed =
    (await run('UPDATE healing_triggers SET closed_at = $2 WHERE key = $1 AND closed_at IS NULL', [key, at]))
      .rowCount === 1;
  if (closed && note) {
    await appendAudit(run, note);
  }
  return closed;
}

export async function insertOne(run: Run, { input, note }: ActionToInsert): Promise<number | undefined> {
  const key = proposalKey({ triggerKey: input.triggerKey, type: input.action.type, target: input.target });
  const { rows } = await run(
    `INSERT INTO healing_actions (idempotency_key, trigger_key, policy, gate, action_type, target, namespace, state,
       action, ladder, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8, $9, $10, $10)
     ON CONFLICT ON CONSTRAINT healing_actions_idempotency DO NOTHING
     RETURNING id`,
    [key, ...proposalValues(input), input.ladder ? JSON.stringify(input.ladder) : null, input.at]
  );
  if (rows.length === 0) {
    return undefined;
  }
  const id = ids(rows)[0];
  if (note) {
    await appendAudit(run, note(id));
  }
  return id;
}
