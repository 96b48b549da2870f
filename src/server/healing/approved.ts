import type { DryRunRecord } from '../../contract/healing';
import type { ScaleResult } from '../kubernetes';
import type { DryRun } from './dryRun';
import type { StoredAction } from './store/actionRows';

type Change = DryRunRecord['changes'][number];

const listed = (changes: Change[]) =>
  changes.length
    ? changes.map((c) => `${c.field} ${c.from ?? '(none)'} → ${c.to ?? '(none)'}`).join(', ')
    : 'no change';

const sameChanges = (a: Change[], b: Change[]) =>
  a.length === b.length && a.every((c, i) => c.field === b[i].field && c.from === b[i].from && c.to === b[i].to);

/**
 * The invariant that matters most, checked on its own: an approved scale runs only from the count
 * it was approved from, to the count approved, and never in the other direction.
 */
export function scaleBreaksApproval(action: StoredAction, fresh: ScaleResult): string | undefined {
  const planned = action.action;
  const name = `${fresh.target.kind} ${fresh.target.namespace}/${fresh.target.name}`;
  if (planned.type !== 'scale' || planned.replicas === undefined || planned.expectReplicas === undefined) {
    return `${name}: the approved scale does not say which replica count it starts from, so it cannot be told from another change`;
  }
  const approved = Math.sign(planned.replicas - planned.expectReplicas);
  const now = Math.sign(fresh.to - fresh.from);
  const asked = Math.sign(fresh.requested - fresh.from);
  const word = (sign: number) => (sign > 0 ? 'a scale-out' : sign < 0 ? 'a scale-in' : 'no change');
  // Agreeing with the approval is not enough: both could be the wrong way round (a scale-out clamped
  // down to a ceiling below the count). A change is only ever made in the direction it was asked for.
  if (now !== 0 && asked !== 0 && now !== asked) {
    return `${name}: ${word(asked)} (to ${fresh.requested}) was asked for, and it would be ${word(now)} (${fresh.from} → ${fresh.to})`;
  }
  if (approved !== now) {
    return `${name}: ${word(approved)} (${planned.expectReplicas} → ${planned.replicas}) was approved, and it would now be ${word(now)} (${fresh.from} → ${fresh.to})`;
  }
  if (fresh.from !== planned.expectReplicas || fresh.to !== planned.replicas) {
    return `${name}: ${planned.expectReplicas} → ${planned.replicas} was approved, and it would now be ${fresh.from} → ${fresh.to}`;
  }
  return undefined;
}

/**
 * Why an approved action must not run: the fresh dry run right before execution says the cluster
 * is no longer what the approved dry run saw, so running it would make another change than the one
 * approved. Undefined when it would make exactly the approved change (a failed dry run is not this
 * question: the caller blocks it).
 */
export function supersededBecause(action: StoredAction, fresh: DryRun): string | undefined {
  if (fresh.record.error?.errorKind === 'changed') {
    return fresh.record.error.message;
  }
  const result = fresh.result;
  if (!result) {
    return undefined;
  }
  const approved = action.dryRun;
  if (result.action === 'scale') {
    const broken = scaleBreaksApproval(action, result);
    if (broken) {
      return broken;
    }
  }
  if (result.action === 'drain') {
    // Which pods a drain evicts changes by itself (pods come and go); the node's state is what was approved.
    if ((approved?.changes.length ?? 0) > 0 && !result.cordonedByDrain) {
      return `node ${result.node} was cordoned since the approval, by someone else: the approved drain of a schedulable node no longer applies`;
    }
    if ((approved?.pods?.evict.length ?? 0) > 0 && result.evicted.length === 0 && result.left.length === 0) {
      return `node ${result.node} was drained since the approval: no pod is left to evict`;
    }
    return undefined;
  }
  const before = approved?.changes ?? [];
  if (!sameChanges(before, fresh.record.changes)) {
    return `the cluster changed since the approval: approved ${listed(before)}; it would now be ${listed(fresh.record.changes)}`;
  }
  return undefined;
}
