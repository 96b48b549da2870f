/** Settings of a FuzzyArt: how many categories it may hold, and whether its weights are quantised. */
export interface ArtBound {
  /** Most categories held (Infinity: grow without bound, as published). */
  capacity: number;
  /** Weights are multiples of 1 / levels (0: exact doubles). */
  levels: number;
}

export const UNBOUNDED: ArtBound = { capacity: Infinity, levels: 0 };

/**
 * The compact distributed dual-vigilance fuzzy ART ARTime uses (Carpenter, Grossberg & Rosen 1991;
 * da Silva, Elnabarawy & Wunsch 2019). Match of category w for the complement-coded x:
 * (|x ^ w| / |w|)^3 * e^2, where e is the same ratio over the newest value and its complement only.
 *
 * Bounded (`capacity` finite): when a new category is needed and all are taken, the two closest
 * categories are merged into one, freeing a slot. In fuzzy ART a category is a box and fast
 * learning's x ^ w is the smallest box holding both (Carpenter, Grossberg & Rosen 1991), so the
 * merge w_a ^ w_b is the category that would have coded both categories' inputs, and the closest
 * pair is the one whose merged box is smallest (largest |w_a ^ w_b|): agglomerative merging as in
 * the on-line pruning of ART categories to keep a network small and fast (Carpenter & Tan 1995;
 * Tan & Soon 2000). Recycling the least recently used category instead scored lower and more
 * jaggedly on the dev files at the sizes that fit 4 KiB (RESULTS.md, issue 12): a recurring
 * pattern it forgot came back as new. With `levels`, inputs (and so, with x ^ w, weights) are
 * multiples of 1 / levels, the quantisation of learned weights Carpenter & Tan also use, so a state
 * stores a weight in a byte and restores it exactly.
 */
export class FuzzyArt {
  rhoLb = 0;
  rhoUb = 0;
  /** The last `train()`: best match, its newest-value similarity, and whether it is a new cluster. */
  match = 0;
  energy = 0;
  newCluster = false;
  categories = 0;
  weights: Float64Array;
  private readonly dimComp: number;
  private readonly x: Float64Array;
  /**
   * Bounded only, derived (never stored): |w_a ^ w_b| for every pair, and which categories changed
   * since it was last brought up to date (all, after a restore), so a merge costs a few rows.
   */
  private readonly pairs: Float64Array;
  /** Derived: |w| per category, summed as the match sums it, kept with the weights. */
  private norms: Float64Array;
  readonly dirty: Uint8Array;

  constructor(
    readonly dim: number,
    readonly bound: ArtBound = UNBOUNDED
  ) {
    this.dimComp = 2 * dim;
    this.x = new Float64Array(this.dimComp);
    const bounded = Number.isFinite(bound.capacity);
    this.weights = new Float64Array(bounded ? bound.capacity * this.dimComp : 0);
    this.norms = new Float64Array(bounded ? bound.capacity : 0);
    this.pairs = new Float64Array(bounded ? bound.capacity * bound.capacity : 0);
    this.dirty = new Uint8Array(bounded ? bound.capacity : 0).fill(1);
  }

  get bounded(): boolean {
    return Number.isFinite(this.bound.capacity);
  }

  /** Classifies f (and learns when asked); the outcome is in match, energy and newCluster. */
  train(f: Float64Array, learning: boolean): void {
    const D = this.dim;
    const DC = this.dimComp;
    this.match = 0;
    this.energy = 0;
    this.newCluster = false;
    if (this.categories === 0) {
      // The first call creates an uncommitted category (all ones) and is not learned.
      if (!this.bounded) {
        this.weights = new Float64Array(16 * DC);
        this.norms = new Float64Array(16);
      }
      this.weights.fill(1, 0, DC);
      this.norms[0] = this.normOf(0);
      this.categories = 1;
      return;
    }
    const x = this.x;
    const q = this.bound.levels;
    for (let k = 0; k < D; k++) {
      if (q > 0) {
        // (q - n) / q, not 1 - n / q: the complement must be on the same grid, bit for bit.
        const n = Math.round(Math.min(1, Math.max(0, f[k])) * q);
        x[k] = n / q;
        x[k + D] = (q - n) / q;
      } else {
        x[k] = f[k];
        x[k + D] = 1 - f[k];
      }
    }
    let best = 0;
    let bestEnergy = 0;
    let resonant = false;
    const w = this.weights;
    const rhoUb = learning ? this.rhoUb : Infinity;
    for (let c = 0; c < this.categories; c++) {
      const o = c * DC;
      const eNum = Math.min(x[D - 1], w[o + D - 1]) + Math.min(x[DC - 1], w[o + DC - 1]);
      const eDen = w[o + D - 1] + w[o + DC - 1];
      // 0/0 (a category that learned both extremes of the newest value) counts as no similarity.
      const energy = eDen === 0 ? 0 : eNum / eDen;
      // The match is at most energy^2 (similarity <= 1): a category that can neither be the best
      // nor resonate is skipped, with the same outcome.
      const bound = energy * energy;
      if (bound <= best && bound < rhoUb) {
        continue;
      }
      const norm = this.norms[c];
      let inter = 0;
      for (let k = 0; k < DC; k++) {
        const wk = w[o + k];
        inter += x[k] < wk ? x[k] : wk;
      }
      const similarity = inter / (norm === 0 ? 0.001 : norm);
      const m = similarity * similarity * similarity * energy * energy;
      if (m > best) {
        best = m;
        bestEnergy = energy;
      }
      if (m >= rhoUb) {
        // Fast learning: every category above the upper vigilance shrinks to x ^ w.
        let changed = 0;
        for (let k = 0; k < DC; k++) {
          if (x[k] < w[o + k]) {
            w[o + k] = x[k];
            changed = 1;
          }
        }
        if (changed) {
          this.norms[c] = this.normOf(c);
          if (this.bounded) {
            this.dirty[c] = 1;
          }
        }
        resonant = true;
      }
    }
    this.match = best;
    this.energy = bestEnergy;
    if (!learning || resonant) {
      return;
    }
    // No resonance: x becomes a new category; below the lower vigilance, of a new cluster.
    const slot = this.slotForNew();
    this.weights.set(x, slot * DC);
    this.norms[slot] = this.normOf(slot);
    if (this.bounded) {
      this.dirty[slot] = 1;
    }
    this.newCluster = best < this.rhoLb;
  }

  /**
   * Merges the two categories whose fuzzy AND is largest (the smallest box holding both) into the
   * first, and returns the second's slot.
   */
  private mergeClosest(): number {
    const n = this.categories;
    const cap = this.bound.capacity;
    const pairs = this.pairs;
    for (let a = 0; a < n; a++) {
      if (this.dirty[a]) {
        for (let b = 0; b < n; b++) {
          pairs[a * cap + b] = pairs[b * cap + a] = this.intersection(a, b);
        }
        this.dirty[a] = 0;
      }
    }
    let best = -1;
    let ba = 0;
    let bb = 1;
    for (let a = 0; a < n; a++) {
      for (let b = a + 1; b < n; b++) {
        if (pairs[a * cap + b] > best) {
          best = pairs[a * cap + b];
          ba = a;
          bb = b;
        }
      }
    }
    const DC = this.dimComp;
    const w = this.weights;
    for (let k = 0; k < DC; k++) {
      w[ba * DC + k] = Math.min(w[ba * DC + k], w[bb * DC + k]);
    }
    this.dirty[ba] = 1;
    this.norms[ba] = this.normOf(ba);
    return bb;
  }

  /** |w_c|, in the order the match once summed it (so scores do not move by a rounding). */
  private normOf(c: number): number {
    const DC = this.dimComp;
    let norm = 0;
    for (let k = 0; k < DC; k++) {
      norm += this.weights[c * DC + k];
    }
    return norm;
  }

  /** Sets the categories from a stored state (the derived tables follow). */
  restore(weights: Float64Array, categories: number): void {
    const DC = this.dimComp;
    if (!this.bounded) {
      this.weights = new Float64Array(Math.max(categories, 16) * DC);
      this.norms = new Float64Array(Math.max(categories, 16));
    }
    this.weights.set(weights.subarray(0, categories * DC));
    this.categories = categories;
    for (let c = 0; c < categories; c++) {
      this.norms[c] = this.normOf(c);
    }
    this.dirty.fill(1);
  }

  /** |w_a ^ w_b|. */
  private intersection(a: number, b: number): number {
    const DC = this.dimComp;
    const w = this.weights;
    let inter = 0;
    for (let k = 0; k < DC; k++) {
      const x = w[a * DC + k];
      const y = w[b * DC + k];
      inter += x < y ? x : y;
    }
    return inter;
  }

  /** Where a new category goes: the next free slot, or when full one freed by a merge. */
  private slotForNew(): number {
    if (!this.bounded) {
      if ((this.categories + 1) * this.dimComp > this.weights.length) {
        const grown = new Float64Array(this.weights.length * 2);
        grown.set(this.weights);
        this.weights = grown;
        const norms = new Float64Array(this.norms.length * 2);
        norms.set(this.norms);
        this.norms = norms;
      }
      return this.categories++;
    }
    let slot: number;
    if (this.categories < this.bound.capacity) {
      slot = this.categories++;
    } else {
      slot = this.mergeClosest();
    }
    return slot;
  }
}
