import { checkState, DetectorOptions, DetectorState, num, stateEnvelope, StreamingDetector } from './detector';
import { TemporalFeatures } from './features';
import { IsolationForest } from './iforest';
import { bandValue } from './shared/band';

const VERSION = 1;
const DEFAULT_TRAINING = 750;

/**
 * The original design run as a stream: temporal features of each sample, an Isolation Forest
 * fitted once on the first `trainingPoints` rows (the probation period), then the forest's score
 * of every later row. Assumes the training period is normal and that normal behaviour does not
 * move afterwards (it never refits), which is why it is a baseline and not the product's default.
 */
export class IsolationForestDetector implements StreamingDetector {
  readonly name = 'iforest';
  expected = NaN;
  lower = NaN;
  upper = NaN;
  private readonly trainingPoints: number;
  private readonly seed: number;
  private features: TemporalFeatures;
  private forest: IsolationForest | null = null;
  private training: Float64Array;
  private rows = 0;
  private readonly row: Float64Array;
  private lastScore = 0;

  constructor(options: DetectorOptions = {}) {
    this.trainingPoints = Math.max(16, options.trainingPoints ?? DEFAULT_TRAINING);
    this.seed = options.seed ?? 42;
    this.features = new TemporalFeatures();
    this.row = new Float64Array(this.features.size);
    this.training = new Float64Array(this.trainingPoints * this.features.size);
  }

  update(timestampMs: number, value: number): number {
    const row = this.row;
    if (!this.features.update(timestampMs, value, row)) {
      return this.lastScore;
    }
    for (let i = 0; i < row.length; i++) {
      if (Number.isNaN(row[i])) {
        row[i] = 0;
      }
    }
    // Band from the 1 h rolling mean and deviation (columns 8 and 9), saturated (bandValue).
    this.expected = bandValue(row[8]);
    this.lower = bandValue(row[8] - 3 * row[9]);
    this.upper = bandValue(row[8] + 3 * row[9]);
    if (this.forest === null) {
      this.training.set(row, this.rows * row.length);
      this.rows++;
      if (this.rows === this.trainingPoints) {
        this.forest = IsolationForest.fit(this.training, this.rows, row.length, { seed: this.seed });
        this.training = new Float64Array(0);
      }
      this.lastScore = 0;
    } else {
      this.lastScore = this.forest.scoreRow(row);
    }
    return this.lastScore;
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(this.name, VERSION),
      trainingPoints: this.trainingPoints,
      seed: this.seed,
      features: this.features.toState(),
      forest: this.forest?.toJSON() ?? null,
      training: Array.from(this.training.subarray(0, this.rows * this.row.length)),
      rows: this.rows,
      lastScore: this.lastScore,
    };
  }

  static fromState(state: unknown): IsolationForestDetector {
    const s = checkState(state, 'iforest', VERSION);
    const d = new IsolationForestDetector({ trainingPoints: num(s, 'trainingPoints'), seed: num(s, 'seed') });
    d.features = TemporalFeatures.fromState(s.features);
    d.rows = num(s, 'rows');
    if (s.forest !== null) {
      d.forest = IsolationForest.fromJSON(s.forest);
      d.training = new Float64Array(0);
    } else {
      const training = s.training;
      if (
        !(Array.isArray(training) && training.every((x): x is number => typeof x === 'number')) ||
        training.length !== d.rows * d.row.length ||
        d.rows >= d.trainingPoints
      ) {
        throw new Error('Corrupt detector state: iforest training buffer does not match its row count');
      }
      d.training.set(training);
    }
    d.lastScore = num(s, 'lastScore');
    return d;
  }
}
