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

  it('when bounded holds its weights as bytes and gives them back as the same doubles', () => {
    const art = strict(3);
    art.train(Float64Array.from([0.25, 0.75]), true);
    expect(Array.from(art.weightCodes)).toEqual([4, 4, 4, 4, 1, 3, 3, 1]);
    expect(Array.from(art.weights)).toEqual([1, 1, 1, 1, 0.25, 0.75, 0.75, 0.25]);
  });
});
