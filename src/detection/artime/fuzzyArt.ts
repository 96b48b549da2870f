import * as arrays from '../shared/arrays';
import { aligned8, NO_BYTES, NO_NUMBERS, ownRegion, type Region } from '../shared/arrays';
import { type ArtBound, levelValues, UNBOUNDED } from './artBound';
import * as artMatch from './artMatch';
import { closestPair, pairTableWords } from './closestPair';

/** Bound once: run by tsx (CommonJS), each call of an imported function is first a getter call of esbuild's interop. */
const { getF64, putF64 } = arrays;
const { energyOf, interOfReals, matchOf, matchOfCodes, shrinkTo } = artMatch;

/**
 * The complement-coded input of the call in progress, shared by every ART (single-threaded; used
 * within one `train`): as reals, and (bounded) as codes too. Grown to the largest dimension seen.
 */
let scratchReals = new Float64Array(0);
let scratchCodes = new Uint8Array(0);

/**
 * The last `train()`'s outcome, shared by every ART (single-threaded; read right after the call): best
 * match, its newest-value similarity, and 1 if it is a new cluster. Kept per ART, the two doubles were
 * boxed numbers in each of a fleet's 100,000 detectors.
 */
const outcome = new Float64Array(3);

/** Words of the vigilances in `words`: two float64 (as fields, a boxed number each in every detector). */
const RHO_WORDS = 8;

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
 * multiples of 1 / levels, the quantisation of learned weights Carpenter & Tan also use, so a weight
 * is held (and stored) as a byte, its multiple of 1 / levels, and restores exactly. Every sum reads
 * those bytes as the doubles the weights were (`levelValues`), in the same order, so the matches are
 * the doubles' bit for bit.
 */
export class FuzzyArt {
  categories = 0;
  /** Unbounded: the weights, rows of 2 x dim (empty when bounded). */
  private reals = NO_NUMBERS;
  /** Bounded: each weight as its multiple of 1 / levels, rows of 2 x dim (empty when unbounded). */
  private readonly codes: Uint8Array;
  /** Bounded: code -> weight (n / levels). */
  private readonly value: Float64Array;
  private readonly dimComp: number;
  /**
   * 16-bit words, one view (a view is ~0.1 kB of heap in each of a fleet's 100,000 detectors): bounded
   * only, derived (never stored), each category's closest partner and their |w_a ^ w_b| (closestPair),
   * then from `dirtyAt` a flag per category that changed since they were last brought up to date
   * (all, after a restore), so a merge costs a few rows; then from `rhoAt` the lower and upper
   * vigilances as float64; then from `wordsAt` the words its owner asked for (`ownerWords`).
   */
  readonly words: Uint16Array;
  private readonly dirtyAt: number;
  private readonly rhoAt: number;
  /** Where the owner's words begin in `words`. */
  readonly wordsAt: number;
  /**
   * Unbounded: |w| per category, kept with the weights (an unbounded ART scans hundreds of categories;
   * it is not one of a fleet's detectors). A bounded ART sums |w| in its scan instead (matchOfCodes).
   */
  private norms = NO_NUMBERS;

  /** Bytes of an ART's tables and its owner's words (an unbounded one holds growing arrays of its own besides). */
  static bytes(dim: number, bound: ArtBound, ownerWords = 0): number {
    const cap = bound.capacity;
    const words = (Number.isFinite(cap) ? pairTableWords(cap) + cap : 0) + RHO_WORDS + ownerWords;
    return (Number.isFinite(cap) ? cap * 2 * dim : 0) + aligned8(words * 2);
  }

  /**
   * `region`: where its tables go (8-aligned, FuzzyArt.bytes long; default a buffer of its own).
   * `ownerWords`: 16-bit words its owner keeps after the ART's own, in the same view.
   */
  constructor(
    readonly dim: number,
    readonly bound: ArtBound = UNBOUNDED,
    region?: Region,
    ownerWords = 0
  ) {
    if (!(Number.isInteger(dim) && dim > 0 && dim % 2 === 0)) {
      throw new Error(`A FuzzyArt's dimension must be a positive even integer, got ${dim}`);
    }
    this.dimComp = 2 * dim;
    const bounded = Number.isFinite(bound.capacity);
    if (bounded !== (Number.isInteger(bound.levels) && bound.levels >= 1 && bound.levels <= 255)) {
      throw new Error('A bounded ART quantises its weights to bytes (levels 1 to 255), an unbounded one does not');
    }
    if (bounded && this.dimComp * bound.levels > 0xffff) {
      throw new Error('A bounded ART sums its codes in 16 bits: 2 x dimension x levels must be at most 65535');
    }
    if (scratchReals.length < this.dimComp) {
      scratchReals = new Float64Array(this.dimComp);
      scratchCodes = new Uint8Array(this.dimComp);
    }
    this.value = bounded ? levelValues(bound.levels) : NO_NUMBERS;
    const { buffer, offset } = region ?? ownRegion(FuzzyArt.bytes(dim, bound, ownerWords));
    if (!bounded) {
      this.codes = NO_BYTES;
      this.dirtyAt = 0;
      this.rhoAt = 0;
      this.wordsAt = RHO_WORDS;
      this.words = new Uint16Array(buffer, offset, this.wordsAt + ownerWords);
      return;
    }
    // A bounded ART's tables never grow: views on one buffer (shared/arrays.ts). A bound's capacity
    // reads as a double (Infinity shares its field): `| 0` keeps the offsets below small integers,
    // not a boxed number each in every detector.
    const cap = bound.capacity | 0;
    this.codes = new Uint8Array(buffer, offset, cap * this.dimComp);
    this.dirtyAt = pairTableWords(cap);
    this.rhoAt = this.dirtyAt + cap;
    this.wordsAt = this.rhoAt + RHO_WORDS;
    this.words = new Uint16Array(buffer, offset + cap * this.dimComp, this.wordsAt + ownerWords);
    this.words.fill(1, this.dirtyAt, this.rhoAt);
  }

  /** The lower vigilance: below it, no match is a new cluster. */
  get rhoLb(): number {
    return getF64(this.words, this.rhoAt);
  }

  set rhoLb(x: number) {
    putF64(this.words, this.rhoAt, x);
  }

  /** The upper vigilance: a category matching at or above it learns. */
  get rhoUb(): number {
    return getF64(this.words, this.rhoAt + 4);
  }

  set rhoUb(x: number) {
    putF64(this.words, this.rhoAt + 4, x);
  }

  /** The last `train()`'s best match. */
  get match(): number {
    return outcome[0];
  }

  /** The last `train()`'s best match's similarity over the newest value only. */
  get energy(): number {
    return outcome[1];
  }

  /** Whether the last `train()` made a category of a new cluster. */
  get newCluster(): boolean {
    return outcome[2] === 1;
  }

  get bounded(): boolean {
    return Number.isFinite(this.bound.capacity);
  }

  /** The committed categories' weights, rows of 2 x dim. */
  get weights(): Float64Array {
    const n = this.categories * this.dimComp;
    return this.bounded ? Float64Array.from(this.codes.subarray(0, n), (c) => this.value[c]) : this.reals.slice(0, n);
  }

  /** Bounded: the committed categories' weights as multiples of 1 / levels. */
  get weightCodes(): Uint8Array {
    return this.codes.subarray(0, this.categories * this.dimComp);
  }

  /** Classifies f (and learns when asked); the outcome is in match, energy and newCluster. */
  train(f: Float64Array, learning: boolean): void {
    const D = this.dim;
    const DC = this.dimComp;
    outcome.fill(0);
    if (this.categories === 0) {
      // The first call creates an uncommitted category (all ones) and is not learned.
      if (this.bounded) {
        this.codes.fill(this.bound.levels, 0, DC);
      } else {
        this.reals = new Float64Array(16 * DC);
        this.norms = new Float64Array(16);
        this.reals.fill(1, 0, DC);
        this.norms[0] = this.realNorm(0);
      }
      this.categories = 1;
      return;
    }
    const bounded = this.bounded;
    const x = scratchReals;
    const xc = scratchCodes;
    if (bounded) {
      const q = this.bound.levels;
      for (let k = 0; k < D; k++) {
        // The complement is q - n: on the same grid, bit for bit ((q - n) / q).
        const n = Math.round(Math.min(1, Math.max(0, f[k])) * q);
        xc[k] = n;
        xc[k + D] = q - n;
        // The codes as the doubles they stand for: the scan reads each once, not once a category.
        x[k] = this.value[n];
        x[k + D] = this.value[q - n];
      }
    } else {
      for (let k = 0; k < D; k++) {
        x[k] = f[k];
        x[k + D] = 1 - f[k];
      }
    }
    const resonant = this.scan(learning);
    if (!learning || resonant) {
      return;
    }
    // No resonance: x becomes a new category; below the lower vigilance, of a new cluster.
    const slot = this.slotForNew();
    if (bounded) {
      this.codes.set(xc.subarray(0, DC), slot * DC);
    } else {
      this.reals.set(x.subarray(0, DC), slot * DC);
    }
    this.weightsChanged(slot);
    outcome[2] = outcome[0] < this.rhoLb ? 1 : 0;
  }

  /**
   * Every category's match with the complement-coded input (scratch): sets match and energy to the
   * best's, learns (fast learning) every category above the upper vigilance; true if any did. Bounded,
   * it reads the codes as the doubles the weights were (value[code], increasing with the code, so the
   * smaller double is the smaller code's) and sums them in the same order: the doubles' outcome.
   */
  private scan(learning: boolean): boolean {
    const D = this.dim;
    const DC = this.dimComp;
    const bounded = this.bounded;
    const x = scratchReals;
    const xc = scratchCodes;
    const reals = this.reals;
    const codes = this.codes;
    const value = this.value;
    const xNewest = x[D - 1];
    const xNewestC = x[DC - 1];
    let best = 0;
    let bestEnergy = 0;
    let resonant = false;
    const rhoUb = learning ? this.rhoUb : Infinity;
    for (let c = 0; c < this.categories; c++) {
      const o = c * DC;
      const energy = bounded
        ? energyOf(xNewest, xNewestC, value[codes[o + D - 1]], value[codes[o + DC - 1]])
        : energyOf(xNewest, xNewestC, reals[o + D - 1], reals[o + DC - 1]);
      // The match is at most energy^2 (similarity <= 1): a category that can neither be the best
      // nor resonate is skipped, with the same outcome.
      const bound = energy * energy;
      if (bound <= best && bound < rhoUb) {
        continue;
      }
      const m = bounded
        ? matchOfCodes(x, codes, value, o, DC, energy)
        : matchOf(interOfReals(x, reals, o, DC), this.norms[c], energy);
      if (m > best) {
        best = m;
        bestEnergy = energy;
      }
      if (m >= rhoUb) {
        // Fast learning: every category above the upper vigilance shrinks to x ^ w.
        if (bounded ? shrinkTo(xc, codes, o, DC) : shrinkTo(x, reals, o, DC)) {
          this.weightsChanged(c);
        }
        resonant = true;
      }
    }
    outcome[0] = best;
    outcome[1] = bestEnergy;
    return resonant;
  }

  /** Category c's weights changed: a bounded ART finds its closest partner again, an unbounded one keeps its norm. */
  private weightsChanged(c: number): void {
    if (this.bounded) {
      this.words[this.dirtyAt + c] = 1;
    } else {
      this.norms[c] = this.realNorm(c);
    }
  }

  /** Unbounded: |w_c|, in the order the match once summed it (so scores do not move by a rounding). */
  private realNorm(c: number): number {
    const DC = this.dimComp;
    let norm = 0;
    for (let k = 0; k < DC; k++) {
      norm += this.reals[c * DC + k];
    }
    return norm;
  }

  /**
   * Merges the two categories whose fuzzy AND is largest (the smallest box holding both) into the
   * first, and returns the second's slot.
   */
  private mergeClosest(): number {
    const cap = this.bound.capacity;
    const pair = closestPair(
      { codes: this.codes, value: this.value, dimComp: this.dimComp, capacity: cap },
      this.categories,
      this.words,
      this.dirtyAt
    );
    const ba = Math.floor(pair / cap);
    const bb = pair - ba * cap;
    const DC = this.dimComp;
    const w = this.codes;
    for (let k = 0; k < DC; k++) {
      w[ba * DC + k] = Math.min(w[ba * DC + k], w[bb * DC + k]);
    }
    this.weightsChanged(ba);
    return bb;
  }

  /** Sets the categories from a stored state (weights in [0, 1]; bounded: multiples of 1 / levels); the derived tables follow. */
  restore(weights: Float64Array, categories: number): void {
    const DC = this.dimComp;
    const n = categories * DC;
    if (this.bounded) {
      const q = this.bound.levels;
      for (let k = 0; k < n; k++) {
        this.codes[k] = Math.round(weights[k] * q);
      }
    } else {
      this.reals = new Float64Array(Math.max(categories, 16) * DC);
      this.norms = new Float64Array(Math.max(categories, 16));
      this.reals.set(weights.subarray(0, n));
      for (let c = 0; c < categories; c++) {
        this.norms[c] = this.realNorm(c);
      }
    }
    this.categories = categories;
    this.words.fill(1, this.dirtyAt, this.rhoAt);
  }

  /** Where a new category goes: the next free slot, or when full one freed by a merge. */
  private slotForNew(): number {
    if (!this.bounded) {
      if ((this.categories + 1) * this.dimComp > this.reals.length) {
        const grown = new Float64Array(this.reals.length * 2);
        grown.set(this.reals);
        this.reals = grown;
        const norms = new Float64Array(this.norms.length * 2);
        norms.set(this.norms);
        this.norms = norms;
      }
      return this.categories++;
    }
    return this.categories < this.bound.capacity ? this.categories++ : this.mergeClosest();
  }
}
