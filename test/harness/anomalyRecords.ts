import type { Target } from '../../src/contract/pipeline';
import type { CycleWrite, NewModelVersion, TargetSummary } from '../../src/server/pipeline/store/repository';
import type { AnomalyRecord } from '../../src/server/pipeline/targetModel';

/** The epoch the stored-record fixtures count from. */
export const T0 = Date.UTC(2025, 4, 1);
const MINUTE = 60_000;

/** A closed crash anomaly of job `j<i>` of watch `w`, two minutes long from minute i: what the pipeline stores. */
export const anomalyRecord = (i: number, extra: Partial<AnomalyRecord> = {}): AnomalyRecord => ({
  targetId: `w{job="j${i}"}`,
  watch: 'w',
  labels: { job: `j${i}` },
  start: T0 + i * MINUTE,
  end: T0 + (i + 2) * MINUTE,
  peakScore: 0.9,
  severity: 'high',
  failureModel: 'crash',
  state: 'closed',
  signals: ['up'],
  direction: 'below',
  reasons: ['the target stopped answering'],
  ...extra,
});

/** One watch cycle's write to the store, empty but for `extra`, processed up to T0. */
export const cycleWrite = (extra: Partial<CycleWrite> = {}, watch = 'w'): CycleWrite => ({
  watch,
  lastProcessed: T0,
  targets: [],
  anomalies: [],
  predictions: [],
  forgotten: [],
  ...extra,
});

/** An active model of `targetId` in watch `w`, trained at T0 on a day of history, without feedback, but for `extra`. */
export const modelVersion = (targetId: string, extra: Partial<NewModelVersion> = {}): NewModelVersion => ({
  watch: 'w',
  targetId,
  status: 'active',
  reason: 'initial',
  trainedAt: T0,
  rangeStart: T0 - 86_400_000,
  rangeEnd: T0,
  samples: 100,
  params: {},
  threshold: 0.9,
  feedback: { falsePositive: 0, confirmed: 0 },
  ...extra,
});

/** A listed target as replica-0's cycle stores it: scored 0 at T0, past learning, nothing open; but for `fields`. */
export const targetSummary = (fields: Pick<Target, 'id' | 'watch'> & Partial<Target>): TargetSummary => ({
  owner: 'replica-0',
  target: {
    labels: {},
    object: null,
    score: 0,
    threshold: 0.8,
    severity: null,
    failureModel: null,
    timeToFailure: null,
    openAnomalies: 0,
    lastScoredAt: T0,
    learning: false,
    learningProgress: 1,
    learningSecondsLeft: 0,
    faultsOnlySecondsLeft: 0,
    degraded: false,
    signals: [],
    ...fields,
  },
});
