import { z } from 'zod';
import { LEARNING_MS } from '../../detection/shared/dailyViews';
import type { SignalModel } from './signal';

/**
 * A gross fault's excursion (a value far beyond the range seen, a drop to 0): the side its signal left
 * on and the band's edge there at the call. The band at the call is the detector's band before that
 * sample, so the edge says where the series was before the fault.
 */
export const faultExcursionSchema = z.object({
  signal: z.string(),
  side: z.enum(['above', 'below']),
  edge: z.number(),
  /** The call's score: how abnormal the target stays while the value is out (TargetModel.level, what healing reads). */
  score: z.number().min(0).max(1),
  /** The first step it no longer holds the episode, whatever the value. */
  until: z.number(),
});
export type FaultExcursion = z.infer<typeof faultExcursionSchema>;

/** No excursions: one frozen array for every target with none. */
export const NO_EXCURSIONS: readonly FaultExcursion[] = Object.freeze([]);

/**
 * The excursions of the fault calls at alarming step t, for signals not already in `held`. A fault
 * is called once, at the value that widens the range seen, and until its level views have calibrated
 * (LEARNING_MS of the series, failureprophet-v5) the detector's level does not hold it: an anomaly
 * opened early closed a minute after the call while the fault went on. Held for at most that long: a
 * level that lasts it is what the views learn as normal, and after it they hold what they still find
 * abnormal themselves.
 */
export function calledExcursions(
  signals: readonly SignalModel[],
  t: number,
  threshold: number,
  held: readonly FaultExcursion[]
): FaultExcursion[] {
  const until = t + LEARNING_MS;
  const called: FaultExcursion[] = [];
  for (const s of signals) {
    const { direction: side } = s;
    const edge = side === 'above' ? s.upper : s.lower;
    const fresh = s.lastAt === t && s.score >= threshold && s.detector.faultCall === true;
    if (fresh && side !== 'none' && Number.isFinite(edge) && !held.some((e) => e.signal === s.spec.name)) {
      called.push({ signal: s.spec.name, side, edge, score: s.score, until });
    }
  }
  return called;
}

/** Whether the excursion's signal has a value at step t still beyond its edge. */
export function stillOut(e: FaultExcursion, signals: readonly SignalModel[], t: number): boolean {
  const s = signals.find((x) => x.spec.name === e.signal);
  return s !== undefined && s.lastAt === t && (e.side === 'above' ? s.value > e.edge : s.value < e.edge);
}

/**
 * The excursions that still hold at step t: each until its `until` (the episode's close drops them).
 * A value back within its edge holds nothing at that step, and holds again if it leaves once more
 * before the anomaly closes: a fault that flaps is one anomaly.
 */
export function heldExcursions(excursions: readonly FaultExcursion[], t: number): readonly FaultExcursion[] {
  const kept = excursions.filter((e) => t < e.until);
  return kept.length === excursions.length ? excursions : kept.length === 0 ? NO_EXCURSIONS : kept;
}
