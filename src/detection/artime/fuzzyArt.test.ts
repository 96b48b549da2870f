import { FuzzyArt } from './fuzzyArt';

const DIM = 2;
const DC = 2 * DIM;

/** The committed categories' weights, rows of DC. */
const rows = (art: FuzzyArt): number[][] =>
  Array.from({ length: art.categories }, (_, c) => Array.from(art.weights.subarray(c * DC, (c + 1) * DC)));

describe('FuzzyArt', () => {
  /** A vigilance above every match: each input becomes a category of its own. */
  const strict = (capacity: number): FuzzyArt => {
    const art = new FuzzyArt(DIM, { capacity, levels: 4 });
    art.rhoUb = 2;
    art.rhoLb = 2;
    art.train(Float64Array.from([0, 0]), true); // the uncommitted all-ones category
    return art;
  };

  it('when full, merges the two categories whose box together is smallest and puts the new one in the freed slot', () => {
    const art = strict(4);
    // Complement coded: [x, 1 - x] per feature; quantised to quarters.
    art.train(Float64Array.from([0, 0]), true);
    art.train(Float64Array.from([1, 1]), true);
    art.train(Float64Array.from([0.25, 0]), true);
    expect(art.categories).toBe(4);
    expect(art.newCluster).toBe(true);
    art.train(Float64Array.from([0.5, 1]), true);
    // First the uncommitted all-ones category (an empty box: merged with anything it is that
    // thing) goes into (0, 0); (0.5, 1) takes its slot.
    expect(rows(art)).toEqual([
      [0, 0, 1, 1],
      [0.5, 1, 0.5, 0],
      [1, 1, 0, 0],
      [0.25, 0, 0.75, 1],
    ]);
    art.train(Float64Array.from([1, 0.75]), true);
    // Then (0, 0) and (0.25, 0) are the closest: merged into the box [0, 0.25] x [0, 0] (weights
    // [0, 0, 0.75, 1]), and (1, 0.75) takes the freed slot.
    expect(rows(art)).toEqual([
      [0, 0, 0.75, 1],
      [0.5, 1, 0.5, 0],
      [1, 1, 0, 0],
      [1, 0.75, 0, 0.25],
    ]);
  });

  it('quantises inputs to its levels, complement included, so weights are exact multiples', () => {
    const art = strict(3);
    art.train(Float64Array.from([0.3, 0.7]), true);
    expect(rows(art)[1]).toEqual([0.25, 0.75, 0.75, 0.25]);
  });

  it('without a bound grows and learns every resonant category by fast learning (x ^ w)', () => {
    const art = new FuzzyArt(DIM);
    art.rhoUb = 0.01;
    art.rhoLb = 0.01;
    art.train(Float64Array.from([0, 0]), true);
    art.train(Float64Array.from([0.4, 0.6]), true);
    expect(rows(art)).toEqual([[0.4, 0.6, 0.6, 0.4]]);
    expect(art.newCluster).toBe(false);
  });

  it('refuses an odd dimension, and a bound whose weights are not bytes', () => {
    expect(() => new FuzzyArt(3)).toThrow(/dimension must be a positive even integer, got 3/);
    expect(() => new FuzzyArt(DIM, { capacity: 4, levels: 0 })).toThrow(/quantises its weights to bytes/);
    expect(() => new FuzzyArt(DIM, { capacity: 4, levels: 256 })).toThrow(/quantises its weights to bytes/);
    expect(() => new FuzzyArt(DIM, { capacity: Infinity, levels: 4 })).toThrow(/an unbounded one does not/);
  });

  it('matches as (|x ^ w| / |w|)^3 e^2 of its weights as doubles, bit for bit, |w| summed in the weights order', () => {
    const dim = 4;
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    /** The best match over every category, as the published ART computes it from the weights. */
    const expected = (art: FuzzyArt, f: Float64Array, q: number): number => {
      const dc = 2 * dim;
      // Bounded: the input quantised to n / q, its complement (q - n) / q.
      const x = Array.from({ length: dc }, (_, k) => {
        const n = q > 0 ? Math.round(Math.min(1, Math.max(0, f[k % dim])) * q) : NaN;
        if (k < dim) {
          return q > 0 ? n / q : f[k];
        }
        return q > 0 ? (q - n) / q : 1 - f[k - dim];
      });
      const w = art.weights;
      let best = 0;
      for (let c = 0; c < art.categories; c++) {
        let inter = 0;
        let norm = 0;
        for (let k = 0; k < dc; k++) {
          inter += Math.min(x[k], w[c * dc + k]);
          norm += w[c * dc + k];
        }
        const wn = w[c * dc + dim - 1];
        const wc = w[c * dc + dc - 1];
        const den = wn + wc;
        const energy = den === 0 ? 0 : (Math.min(x[dim - 1], wn) + Math.min(x[dc - 1], wc)) / den;
        const similarity = inter / (norm === 0 ? 0.001 : norm);
        best = Math.max(best, similarity * similarity * similarity * energy * energy);
      }
      return best;
    };
    for (const bound of [{ capacity: 6, levels: 16 }, undefined]) {
      const art = new FuzzyArt(dim, bound);
      art.rhoUb = 0.6;
      art.rhoLb = 0.4;
      const q = bound?.levels ?? 0;
      for (let n = 0; n < 300; n++) {
        const f = Float64Array.from({ length: dim }, random);
        const before = expected(art, f, q);
        art.train(f, n % 3 !== 0);
        if (n > 0) {
          expect(art.match).toBe(before);
        }
      }
      expect(art.categories).toBeGreaterThan(3);
    }
  });

  it('when bounded holds its weights as bytes and gives them back as the same doubles', () => {
    const art = strict(3);
    art.train(Float64Array.from([0.25, 0.75]), true);
    expect(Array.from(art.weightCodes)).toEqual([4, 4, 4, 4, 1, 3, 3, 1]);
    expect(Array.from(art.weights)).toEqual([1, 1, 1, 1, 0.25, 0.75, 0.75, 0.25]);
  });
});
