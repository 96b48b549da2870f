import { checkState, DetectorOptions, DetectorState, num, stateEnvelope, StreamingDetector } from './detector';
import { isFiniteList } from './shared/json';
import { GatedDetector } from './shared/band';

const VERSION = 1;
/** Lag-vector length and neighbours summed (the authors' NAB settings). */
const DIM = 19;
const K = 27;
/** Conformal p-value at which an alarm is raised, after which the detector rests (scores 0.5) a fifth of the probation. */
const ALARM_AT = 0.9965;
const DEFAULT_TRAINING = 750;
/** Enough training vectors for K neighbours plus one. */
const MIN_TRAINING = DIM + K + 2;

/**
 * KNN CAD: conformalized k-nearest-neighbour anomaly detection (Burnaev & Ishimtsev, "Conformalized
 * density- and distance-based anomaly detection in time-series data", arXiv:1608.04585; NAB's
 * `knncad`). Assumes normal behaviour repeats its recent shapes: each sample's lag vector (its last
 * 19 values) gets a non-conformity score, the sum of its Mahalanobis distances to the 27 nearest
 * vectors of a training set (metric inv(XᵀX) of the training vectors, refreshed twice per probation
 * length), and its anomaly score is the share of calibration scores below it (a conformal p-value).
 * The probation's vectors are the training set and their own scores (self included) the first
 * calibration; after two probation lengths both slide forward. It uses no value range, so the NAB
 * min/max hint changes nothing.
 */
export class KnnCadDetector extends GatedDetector implements StreamingDetector {
  readonly name = 'knncad';
  private readonly probation: number;
  private readonly trainSize: number;
  /** Values by record number r (1-based) at (r - 1) % length: enough for the training and calibration vectors. */
  private readonly values: Float64Array;
  private records = 0;
  /** Record number at which the oldest training vector ends. */
  private trainStart = DIM;
  private readonly metric = identity();
  /**
   * Lower Cholesky factor L of the metric (metric = L·Lᵀ), so a distance is |Lᵀa − Lᵀb|²: the training
   * vectors are projected once, not once per comparison. Null when the inverse is not positive
   * definite in floating point (a near-singular XᵀX): distances then use the metric directly.
   */
  private factor: Float64Array | null = identity();
  /** Lᵀx of each training vector, the one ending at record e in slot e % trainSize. */
  private readonly projected: Float64Array;
  private readonly projectedItem = new Float64Array(DIM);
  /** Calibration non-conformity scores, a ring of trainSize from `scoreHead` (empty until the probation ends). */
  private readonly scores: Float64Array;
  private scoreHead = 0;
  private calibrated = false;
  /** Samples left in the rest after an alarm; -1 before the first. */
  private rest = -1;
  private readonly item = new Float64Array(DIM);
  private readonly diff = new Float64Array(DIM);
  private readonly nearest = new Float64Array(K + 1);

  constructor(options: DetectorOptions = {}) {
    super();
    this.probation = Math.max(MIN_TRAINING, Math.floor(options.trainingPoints ?? DEFAULT_TRAINING));
    this.trainSize = this.probation - DIM;
    this.values = new Float64Array(2 * this.probation + 1);
    this.scores = new Float64Array(this.trainSize);
    this.projected = new Float64Array(this.trainSize * DIM);
  }

  update(timestampMs: number, value: number): number {
    if (!this.admits(timestampMs, value)) {
      return this.lastScore;
    }
    this.lastScore = this.step(value);
    return this.lastScore;
  }

  private step(value: number): number {
    const r = ++this.records;
    const p = this.probation;
    this.values[(r - 1) % this.values.length] = value;
    if (r < p) {
      if (r >= DIM) {
        this.project(r); // The probation's lag vectors are the training set.
      }
      return 0;
    }
    const sinceProbation = r % p;
    if (sinceProbation === 0 || sinceProbation === Math.floor(p / 2)) {
      this.refreshMetric();
    }
    if (!this.calibrated) {
      for (let i = 0; i < this.trainSize; i++) {
        this.window(this.trainStart + i, this.item);
        this.scores[i] = this.nonConformity(this.item, true);
      }
      this.calibrated = true;
    }
    this.window(r, this.item);
    const score = this.nonConformity(this.item, false);
    let below = 0;
    for (let i = 0; i < this.trainSize; i++) {
      if (this.scores[i] < score) {
        below++;
      }
    }
    const result = below / this.trainSize;
    if (r >= 2 * p) {
      // The oldest calibration vector joins the training set, the oldest training vector leaves.
      this.trainStart++;
      this.project(this.trainStart + this.trainSize - 1);
    }
    this.scores[this.scoreHead] = score;
    this.scoreHead = (this.scoreHead + 1) % this.trainSize;
    if (this.rest > 0) {
      this.rest--;
      return 0.5;
    }
    if (result >= ALARM_AT) {
      this.rest = Math.floor(p / 5);
    }
    return result;
  }

  /** The lag vector ending at record `end`. */
  private window(end: number, out: Float64Array): void {
    const n = this.values.length;
    for (let j = 0; j < DIM; j++) {
      out[j] = this.values[(end - DIM + j) % n];
    }
  }

  /** Sum of the distances from `item` to its K nearest training vectors (K + 1 when it is one of them, its own 0 included). */
  private nonConformity(item: Float64Array, inTraining: boolean): number {
    const m = K + (inTraining ? 1 : 0);
    const nearest = this.nearest;
    let kept = 0;
    const n = this.values.length;
    const s = this.metric;
    const d = this.diff;
    const y = this.projectedItem;
    const factor = this.factor;
    if (factor) {
      projectInto(factor, item, y);
    }
    for (let i = 0; i < this.trainSize; i++) {
      const end = this.trainStart + i;
      let dist = 0;
      if (factor) {
        const at = (end % this.trainSize) * DIM;
        for (let j = 0; j < DIM; j++) {
          const e = y[j] - this.projected[at + j];
          dist += e * e;
        }
      } else {
        for (let j = 0; j < DIM; j++) {
          d[j] = item[j] - this.values[(end - DIM + j) % n];
        }
        for (let a = 0; a < DIM; a++) {
          let row = 0;
          for (let b = 0; b < DIM; b++) {
            row += d[b] * s[b * DIM + a];
          }
          dist += row * d[a];
        }
      }
      // Keep the m smallest, sorted ascending (insertion into a short list).
      if (kept < m || dist < nearest[kept - 1]) {
        let at = kept < m ? kept++ : kept - 1;
        while (at > 0 && nearest[at - 1] > dist) {
          nearest[at] = nearest[at - 1];
          at--;
        }
        nearest[at] = dist;
      }
    }
    let sum = 0;
    for (let i = 0; i < kept; i++) {
      sum += nearest[i];
    }
    return sum;
  }

  /** metric = inv(XᵀX) over the training vectors; an exactly singular XᵀX keeps the previous metric (as the reference does). */
  private refreshMetric(): void {
    const g = new Float64Array(DIM * DIM);
    const x = this.item;
    for (let i = 0; i < this.trainSize; i++) {
      this.window(this.trainStart + i, x);
      for (let a = 0; a < DIM; a++) {
        for (let b = 0; b < DIM; b++) {
          g[a * DIM + b] += x[a] * x[b];
        }
      }
    }
    const inv = invert(g);
    if (inv) {
      this.metric.set(inv);
      this.projectAll();
    }
  }

  /** Factors the metric and projects every training vector with it. */
  private projectAll(): void {
    this.factor = cholesky(this.metric);
    if (this.factor) {
      for (let i = 0; i < this.trainSize; i++) {
        this.project(this.trainStart + i);
      }
    }
  }

  /** Projects the training vector ending at record `end` into its slot. */
  private project(end: number): void {
    if (this.factor) {
      this.window(end, this.item);
      projectInto(this.factor, this.item, this.projected.subarray((end % this.trainSize) * DIM));
    }
  }

  toState(): DetectorState {
    return {
      ...stateEnvelope(this.name, VERSION),
      probation: this.probation,
      values: Array.from(this.values),
      records: this.records,
      trainStart: this.trainStart,
      metric: Array.from(this.metric),
      scores: Array.from(this.scores),
      scoreHead: this.scoreHead,
      calibrated: this.calibrated,
      rest: this.rest,
      lastT: Number.isFinite(this.lastT) ? this.lastT : null,
      lastScore: this.lastScore,
    };
  }

  static fromState(state: unknown): KnnCadDetector {
    const s = checkState(state, 'knncad', VERSION);
    const d = new KnnCadDetector({ trainingPoints: num(s, 'probation') });
    if (d.probation !== s.probation) {
      throw new Error('Corrupt detector state: knncad probation out of range');
    }
    d.values.set(finiteArray(s, 'values', d.values.length));
    d.metric.set(finiteArray(s, 'metric', DIM * DIM));
    d.scores.set(finiteArray(s, 'scores', d.trainSize));
    d.records = num(s, 'records');
    d.trainStart = num(s, 'trainStart');
    d.scoreHead = num(s, 'scoreHead');
    d.rest = num(s, 'rest');
    if (typeof s.calibrated !== 'boolean') {
      throw new Error('Corrupt detector state: field "calibrated" is not a boolean');
    }
    d.calibrated = s.calibrated;
    const consistent =
      Number.isInteger(d.records) &&
      d.records >= 0 &&
      d.trainStart === Math.max(DIM, d.records - 2 * d.probation + DIM + 1) &&
      Number.isInteger(d.scoreHead) &&
      d.scoreHead >= 0 &&
      d.scoreHead < d.trainSize &&
      Number.isInteger(d.rest) &&
      d.rest >= -1;
    if (!consistent) {
      throw new Error('Corrupt detector state: knncad counters are inconsistent');
    }
    d.lastT = s.lastT === null ? -Infinity : num(s, 'lastT');
    d.lastScore = num(s, 'lastScore');
    // Projections are a function of the metric and the training vectors: recomputed, not stored.
    d.factor = cholesky(d.metric);
    const trained = Math.min(d.trainSize, d.records - DIM + 1);
    for (let i = 0; i < trained; i++) {
      d.project(d.trainStart + i);
    }
    return d;
  }
}

/** out = Lᵀx for a lower-triangular L. */
function projectInto(l: Float64Array, x: Float64Array, out: Float64Array): void {
  for (let j = 0; j < DIM; j++) {
    let sum = 0;
    for (let i = j; i < DIM; i++) {
      sum += l[i * DIM + j] * x[i];
    }
    out[j] = sum;
  }
}

/** Lower-triangular L with L·Lᵀ = m, or null when m is not positive definite in floating point. */
function cholesky(m: Float64Array): Float64Array | null {
  const l = new Float64Array(DIM * DIM);
  for (let i = 0; i < DIM; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = m[i * DIM + j];
      for (let k = 0; k < j; k++) {
        sum -= l[i * DIM + k] * l[j * DIM + k];
      }
      if (i === j) {
        if (!(sum > 0)) {
          return null;
        }
        l[i * DIM + i] = Math.sqrt(sum);
      } else {
        l[i * DIM + j] = sum / l[j * DIM + j];
      }
    }
  }
  return l;
}

function identity(): Float64Array {
  const m = new Float64Array(DIM * DIM);
  for (let i = 0; i < DIM; i++) {
    m[i * DIM + i] = 1;
  }
  return m;
}

function finiteArray(s: Record<string, unknown>, key: string, length: number): Float64Array {
  const v = s[key];
  if (!isFiniteList(v) || v.length !== length) {
    throw new Error(`Corrupt detector state: field "${key}" is not an array of ${length} finite numbers`);
  }
  return Float64Array.from(v);
}

/** Gauss-Jordan inverse with partial pivoting of a DIM x DIM matrix; null when a pivot is exactly 0 (singular). */
function invert(matrix: Float64Array): Float64Array | null {
  const n = DIM;
  const a = Float64Array.from(matrix);
  const inv = identity();
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs(a[r * n + c]) > Math.abs(a[pivot * n + c])) {
        pivot = r;
      }
    }
    if (a[pivot * n + c] === 0) {
      return null;
    }
    if (pivot !== c) {
      for (let j = 0; j < n; j++) {
        [a[c * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[c * n + j]];
        [inv[c * n + j], inv[pivot * n + j]] = [inv[pivot * n + j], inv[c * n + j]];
      }
    }
    const f = 1 / a[c * n + c];
    for (let j = 0; j < n; j++) {
      a[c * n + j] *= f;
      inv[c * n + j] *= f;
    }
    for (let r = 0; r < n; r++) {
      const m = a[r * n + c];
      if (r !== c && m !== 0) {
        for (let j = 0; j < n; j++) {
          a[r * n + j] -= m * a[c * n + j];
          inv[r * n + j] -= m * inv[c * n + j];
        }
      }
    }
  }
  return inv;
}
