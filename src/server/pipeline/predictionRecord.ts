import type { LimitDirection } from '../../contract/pipeline';
import type { SignalModel } from './signal';

export interface PredictionRecord {
  targetId: string;
  watch: string;
  signal: string;
  madeAt: number;
  limit: number;
  direction: LimitDirection;
  seconds: number;
  lowerSeconds: number | null;
  upperSeconds: number | null;
}

/** The predictions a target makes at step t: one per signal sampled at t that forecasts a crossing. */
export function predictionsAt(
  target: { id: string; watch: string },
  signals: readonly SignalModel[],
  t: number
): PredictionRecord[] {
  const made: PredictionRecord[] = [];
  for (const s of signals) {
    if (s.ttf && s.lastAt === t) {
      made.push({
        targetId: target.id,
        watch: target.watch,
        signal: s.spec.name,
        madeAt: t,
        limit: s.ttf.limit,
        direction: s.ttf.direction,
        seconds: s.ttf.seconds,
        lowerSeconds: s.ttf.lowerSeconds,
        upperSeconds: s.ttf.upperSeconds,
      });
    }
  }
  return made;
}
