import type { DryRunRecord } from '../../contract/healing';
import type { ScaleResult } from '../kubernetes';
import { scaleBreaksApproval, supersededBecause } from './approved';
import type { StoredAction } from './store/actions';

const target = { kind: 'deployment', namespace: 'shop', name: 'cart' } as const;
const approvedScale = (expectReplicas: number | undefined, replicas: number, record?: DryRunRecord) =>
  ({
    action: { type: 'scale', target, replicas, expectReplicas, ceiling: 20 },
    dryRun: record,
  }) as StoredAction;
const fresh = (from: number, to: number): ScaleResult => ({
  action: 'scale',
  target,
  from,
  to,
  requested: to,
  dryRun: true,
  summary: `would scale deployment shop/cart: replicas ${from} → ${to}`,
});
const record = (from: number, to: number): DryRunRecord => ({
  ok: true,
  at: 0,
  summary: '',
  changes: [{ field: 'deployment shop/cart replicas', from: String(from), to: String(to) }],
});

describe('never a scale-down from an approved scale-out', () => {
  it('refuses another direction, even when the shown diff would match', () => {
    // A record that agrees with the fresh dry run must not hide the direction the action was pinned to.
    const action = approvedScale(5, 6, record(9, 6));
    expect(scaleBreaksApproval(action, fresh(9, 6))).toBe(
      'deployment shop/cart: a scale-out (5 → 6) was approved, and it would now be a scale-in (9 → 6)'
    );
    expect(supersededBecause(action, { record: record(9, 6), result: fresh(9, 6) })).toMatch(/a scale-in \(9 → 6\)/);
  });

  it('refuses the same direction from another count, and a scale not pinned to its starting count', () => {
    expect(scaleBreaksApproval(approvedScale(5, 6), fresh(6, 7))).toBe(
      'deployment shop/cart: 5 → 6 was approved, and it would now be 6 → 7'
    );
    expect(scaleBreaksApproval(approvedScale(undefined, 6), fresh(5, 6))).toMatch(
      /does not say which replica count it starts from/
    );
  });

  it('refuses a change against what was asked, even when it matches the approval (both scale in)', () => {
    // A scale-out asked at 25 replicas, clamped to a ceiling of 20 below them: 25 → 20 approved and fresh alike.
    const action = approvedScale(25, 20, record(25, 20));
    const clampedDown: ScaleResult = { ...fresh(25, 20), requested: 26, clamped: 'ceiling' };
    expect(scaleBreaksApproval(action, clampedDown)).toBe(
      'deployment shop/cart: a scale-out (to 26) was asked for, and it would be a scale-in (25 → 20)'
    );
    expect(supersededBecause(action, { record: record(25, 20), result: clampedDown })).toMatch(/was asked for/);
  });

  it('lets exactly the approved change through', () => {
    const action = approvedScale(5, 6, record(5, 6));
    expect(scaleBreaksApproval(action, fresh(5, 6))).toBeUndefined();
    expect(supersededBecause(action, { record: record(5, 6), result: fresh(5, 6) })).toBeUndefined();
  });
});
