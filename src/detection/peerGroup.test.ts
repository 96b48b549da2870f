import { PeerGroupDetector, spreadFactor } from './peerGroup';
import { Random } from './random';

/** One step of n replicas' noise: standard normal (Box-Muller), so the spread to find is 1. */
const normalStep = (rng: Random, n: number) =>
  Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));

function middleOf(sorted: Float64Array): number {
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** A group of `n` that has learned its spread from `steps` steps of standard normal noise around 30. */
function learned(n: number, steps = 100, seed = 1): { peers: PeerGroupDetector; rng: Random } {
  const rng = new Random(seed);
  const peers = new PeerGroupDetector(n, { scaleSmoothing: 0.02 });
  for (let step = 0; step < steps; step++) {
    peers.update(normalStep(rng, n).map((v) => 30 + v));
  }
  return { peers, rng };
}

describe('PeerGroupDetector', () => {
  it('flags the replica that departs from its siblings, not the others', () => {
    const peers = new PeerGroupDetector(5);
    let scores: Float64Array = new Float64Array(5);
    for (let step = 0; step < 20; step++) {
      const base = 40 + step; // the whole group moves together: not an anomaly
      const values = [base + 0.5, base - 0.3, base + 0.1, base - 0.6, step >= 10 ? base + 25 : base + 0.2];
      scores = peers.update(values);
      if (step < 10) {
        expect(peers.outlier()).toBe(-1);
      }
    }
    expect(peers.outlier()).toBe(4);
    expect(Math.max(...scores.subarray(0, 4))).toBeLessThan(0.5);
  });

  it('lets two back-to-back spikes of one replica pass (6 of 8 steps out), and flags it at the 7th', () => {
    for (const n of [3, 4]) {
      const { peers, rng } = learned(n);
      const flaggedAt: number[] = [];
      for (let step = 0; step < 8; step++) {
        // Two 3-step spikes 40 spreads high, then the replica stays up from step 6.
        const values = normalStep(rng, n).map((v, i) => 30 + v + (i === 0 && step !== 3 ? 40 : 0));
        peers.update(values);
        if (peers.outlier() === 0) {
          flaggedAt.push(step);
        }
      }
      // Out at steps 0-2 and 4-7: 7 of 8 steps only at step 7.
      expect({ n, flaggedAt }).toEqual({ n, flaggedAt: [7] });
    }
  });

  it("keeps counting a departed replica through the step a peer's spike passes it (among 3 it is then the median)", () => {
    const { peers, rng } = learned(3);
    const seen: Array<{ step: number; outlier: number }> = [];
    for (let step = 0; step < 8; step++) {
      const values = normalStep(rng, 3).map((v) => 30 + v);
      values[0] += 10;
      if (step === 4) {
        values[1] += 60;
      }
      peers.update(values);
      seen.push({ step, outlier: peers.outlier() });
    }
    // Steps 0-6 out but for step 4: 7 of the 8 steps at step 7; the spiking peer is never flagged.
    expect(seen.filter((s) => s.outlier >= 0)).toEqual([{ step: 7, outlier: 0 }]);
  });

  it("makes the mean of the lower three quarters of the steps' spreads the standard deviation at the normal, for each group size (simulated)", () => {
    const rng = new Random(2026);
    const off: Array<{ n: number; estimate: number }> = [];
    for (const n of [3, 4, 5, 6, 7, 8, 9, 10, 12]) {
      const values = new Float64Array(n);
      const spreads = new Float64Array(20_000);
      for (let k = 0; k < spreads.length; k++) {
        values.set(normalStep(rng, n));
        values.sort();
        const median = middleOf(values);
        for (let i = 0; i < n; i++) {
          values[i] = Math.abs(values[i] - median);
        }
        spreads[k] = 1.4826 * spreadFactor(n) * middleOf(values.sort());
      }
      spreads.sort();
      const lower = spreads.subarray(0, (3 * spreads.length) / 4);
      const estimate = lower.reduce((sum, v) => sum + v, 0) / lower.length;
      if (Math.abs(estimate - 1) > 0.02) {
        off.push({ n, estimate });
      }
    }
    // The tabled sizes from 2 million groups each, 12 by the fitted formula: within 2% of 20,000
    // groups' (about 4 standard errors); Croux & Rousseeuw's mean-unbiased factors are up to 40% off.
    expect(off).toEqual([]);
  });

  it("estimates the spread of 3 or 4 replicas' normal noise as its standard deviation", () => {
    for (const n of [3, 4]) {
      const { peers, rng } = learned(n);
      const spreads: number[] = [];
      for (let step = 0; step < 10_000; step++) {
        peers.update(normalStep(rng, n));
        spreads.push(peers.toState().scale!);
      }
      spreads.sort((a, b) => a - b);
      // 1.4826 MAD alone is 0.53 (3 replicas) or 0.67 (4) of the spread at its median.
      expect({ n, median: spreads[spreads.length / 2].toFixed(1) }).toEqual({ n, median: '1.0' });
    }
  });

  it("takes the group's spread as the mean of the lower three quarters of its steps' spreads, the first step's (0 between equal replicas) one of them", () => {
    const peers = new PeerGroupDetector(3, { scaleSmoothing: 0.02 });
    // Three replicas at 10, 10 + d and 10 + 2d: a MAD of d; equal replicas first, whose spread is the floor only.
    const seen = [0, 4, 1, 3, 2].map((d) => {
      peers.update([10, 10 + d, 10 + 2 * d]);
      return peers.toState().scale!;
    });
    const [s0, s4, s1, s3, s2] = [0, 4, 1, 3, 2].map((d) =>
      Number((1.4826 * spreadFactor(3) * d + 1e-9 + 1e-5).toPrecision(4))
    );
    // The lowest 1 of 1, 2 of 2, 3 of 3, 3 of 4 and 4 of 5.
    const expected = [s0, (s0 + s4) / 2, (s0 + s1 + s4) / 3, (s0 + s1 + s3) / 3, (s0 + s1 + s2 + s3) / 4];
    expect(seen.map((s, i) => s - expected[i]).every((d) => Math.abs(d) < 1e-12)).toBe(true);
    expect(peers.toState().scales).toEqual([s0, s4, s1, s3, s2]);
  });

  it('tells quantised replicas (counts) apart by more than their resolution, not by their ties', () => {
    for (const n of [3, 4, 5]) {
      for (const sd of [0.5, 0.8]) {
        const rng = new Random(n);
        const peers = new PeerGroupDetector(n, { scaleSmoothing: 0.02 });
        const flagged: number[] = [];
        // Four days of one-minute steps, then replica 0 four counts up.
        for (let step = 0; step < 4 * 1440 + 10; step++) {
          const shift = step >= 4 * 1440 ? 4 : 0;
          peers.update(normalStep(rng, n).map((v, i) => Math.round(40 + sd * v) + (i === 0 ? shift : 0)));
          if (peers.outlier() >= 0) {
            flagged.push(step - 4 * 1440);
          }
        }
        // Most steps have two equal replicas, so a MAD of 0: without the resolution as its floor, the
        // spread (or a median of the steps') was near 0 and a replica a count off at 7 of 8 steps flagged.
        const before = flagged.filter((step) => step < 0);
        expect({ n, sd, before, shiftFound: flagged.length > before.length }).toEqual({
          n,
          sd,
          before: [],
          shiftFound: true,
        });
      }
    }
  });

  it('resumes from its state as if it had never stopped, and refuses a corrupt one', () => {
    // Past a full window of spreads (99 steps) before the stop and again after it.
    const values = (step: number) => [
      10 + Math.sin(step),
      10.2 + Math.cos(step),
      9.9 + Math.sin(step / 3) / 2,
      step >= 140 ? 10 + (step - 140) / 3 : 10.1,
    ];
    const through = new PeerGroupDetector(4, { scaleSmoothing: 0.02 });
    const stopped = new PeerGroupDetector(4, { scaleSmoothing: 0.02 });
    for (let step = 0; step < 130; step++) {
      through.update(values(step));
      stopped.update(values(step));
    }
    const resumed = PeerGroupDetector.fromState(JSON.parse(JSON.stringify(stopped.toState())));
    const fresh = new PeerGroupDetector(4, { scaleSmoothing: 0.02 });
    const flagged: number[] = [];
    const [throughScores, freshScores]: number[][][] = [[], []];
    for (let step = 130; step < 250; step++) {
      throughScores.push(Array.from(through.update(values(step))));
      expect(Array.from(resumed.update(values(step)))).toEqual(throughScores.at(-1));
      freshScores.push(Array.from(fresh.update(values(step))));
      flagged.push(through.outlier());
    }
    expect(resumed.toState()).toEqual(through.toState());
    // The resumed scores include the departure of member 3, found from what the state carried.
    expect(flagged).toContain(3);
    // Starting over instead would not give the same scores: the state carries something.
    expect(freshScores).not.toEqual(throughScores);
    const state = stopped.toState();
    expect(state.scales).toHaveLength(99);
    expect(() => PeerGroupDetector.fromState({ ...state, recent: [[1], ['x'], [2], []] })).toThrow(
      /failureprophet.peers version 1, 2 or 3/
    );
    expect(() => PeerGroupDetector.fromState({ ...state, recent: [[1], [2]] })).toThrow(/at least 3/);
    expect(() => PeerGroupDetector.fromState({ ...state, recent: state.recent.map(() => Array(9).fill(0)) })).toThrow(
      /failureprophet.peers/
    );
    expect(() => PeerGroupDetector.fromState(null)).toThrow(/failureprophet.peers/);
    // Smoothing read back from the store is a number; the spreads are as many as it keeps, none negative.
    expect(() => PeerGroupDetector.fromState({ ...state, scaleSmoothing: 'fast' })).toThrow(/failureprophet.peers/);
    expect(() => PeerGroupDetector.fromState({ ...state, scales: [...state.scales, 1] })).toThrow(
      /failureprophet.peers/
    );
    expect(() => PeerGroupDetector.fromState({ ...state, scales: [1, -1] })).toThrow(/failureprophet.peers/);
    expect(() => PeerGroupDetector.fromState({ ...state, scales: [1, 'x'] })).toThrow(/failureprophet.peers/);
    expect(() => PeerGroupDetector.fromState({ ...state, resolution: 0 })).toThrow(/failureprophet.peers/);
  });

  it("resumes an earlier build's snapshot with its spread, for as many steps as it had averaged", () => {
    const earlier = { format: 'failureprophet.peers', version: 1, smoothing: 0.3, smoothed: [0.1, 2, -1], scale: 42 };
    expect(PeerGroupDetector.fromState({ ...earlier, scaleSmoothing: 0.02, steps: 7 }).toState()).toEqual({
      format: 'failureprophet.peers',
      version: 3,
      scaleSmoothing: 0.02,
      scale: 42,
      scales: Array(7).fill(42),
      resolution: null,
      recent: [[], [], []],
    });
    // Without the fields earlier builds added later: the defaults, and a full window of spread.
    expect(PeerGroupDetector.fromState(earlier).toState()).toMatchObject({
      scaleSmoothing: 1,
      scale: 42,
      scales: [42],
    });
    expect(PeerGroupDetector.fromState({ ...earlier, scale: null }).toState()).toMatchObject({
      scale: null,
      scales: [],
    });
    expect(() => PeerGroupDetector.fromState({ ...earlier, smoothed: [1, 'x', 2] })).toThrow(/failureprophet.peers/);
    expect(() => PeerGroupDetector.fromState({ ...earlier, smoothed: [1, 2] })).toThrow(/at least 3/);

    // Version 2 kept its members' departures; its spread gives way as the steps after it fill the window.
    const recent = [
      [0.5, 1],
      [-0.2, 0.1],
      [3, 4],
    ];
    const second = { format: 'failureprophet.peers', version: 2, scaleSmoothing: 0.02, steps: 60, scale: 42, recent };
    const resumed = PeerGroupDetector.fromState(second);
    expect(resumed.toState()).toEqual({
      ...second,
      version: 3,
      steps: undefined,
      scales: Array(60).fill(42),
      resolution: null,
    });
    const rng = new Random(9);
    const spreads: number[] = [];
    for (let step = 0; step < 99; step++) {
      resumed.update(normalStep(rng, 3));
      spreads.push(resumed.toState().scale!);
    }
    expect(spreads[0]).toBeGreaterThan(40);
    // A window of noise: the noise's spread.
    expect(spreads[98]).toBeLessThan(3);
  });

  it('skips missing members and needs three of them', () => {
    const peers = new PeerGroupDetector(3);
    expect(Array.from(peers.update([1, NaN, 2]))).toEqual([0, 0, 0]);
    expect(() => new PeerGroupDetector(2)).toThrow(/at least 3/);
  });
});
