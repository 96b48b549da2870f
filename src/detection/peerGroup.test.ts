import { PeerGroupDetector } from './peerGroup';
import { Random } from './random';

/** One step of n replicas' noise: standard normal (Box-Muller), so the spread to find is 1. */
const normalStep = (rng: Random, n: number) =>
  Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));

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

  it("estimates 3 or 4 replicas' spread without the large-sample MAD's bias (Croux & Rousseeuw's factors)", () => {
    for (const n of [3, 4]) {
      const rng = new Random(n);
      const peers = new PeerGroupDetector(n, { scaleSmoothing: 0.001 });
      for (let step = 0; step < 20_000; step++) {
        peers.update(normalStep(rng, n));
      }
      // 1.4826 MAD alone averages 0.67 (3 replicas) or 0.73 (4) of the spread.
      expect(peers.toState().scale).toBeGreaterThan(0.95);
      expect(peers.toState().scale).toBeLessThan(1.05);
    }
  });

  it('learns the spread from the mean of its first steps, not from the first alone', () => {
    const rng = new Random(5);
    const peers = new PeerGroupDetector(3, { scaleSmoothing: 0.02 });
    // Two replicas equal at the first step: its MAD is 0.
    peers.update([1, 1, 2]);
    for (let step = 1; step < 20; step++) {
      peers.update(normalStep(rng, 3));
    }
    // Weighted by 0.98^19 = 0.68, the first step's spread would hold it near a third of the spread.
    expect(peers.toState().scale).toBeGreaterThan(0.7);
  });

  it('resumes from its state as if it had never stopped, and refuses a corrupt one', () => {
    const values = (step: number) => [
      10 + Math.sin(step),
      10.2 + Math.cos(step),
      9.9,
      step >= 15 ? 10 + step / 3 : 10.1,
    ];
    const through = new PeerGroupDetector(4, { scaleSmoothing: 0.02 });
    const stopped = new PeerGroupDetector(4, { scaleSmoothing: 0.02 });
    for (let step = 0; step < 12; step++) {
      through.update(values(step));
      stopped.update(values(step));
    }
    const resumed = PeerGroupDetector.fromState(JSON.parse(JSON.stringify(stopped.toState())));
    const fresh = new PeerGroupDetector(4, { scaleSmoothing: 0.02 });
    const flagged: number[] = [];
    for (let step = 12; step < 30; step++) {
      const expected = Array.from(through.update(values(step)));
      expect(Array.from(resumed.update(values(step)))).toEqual(expected);
      fresh.update(values(step));
      flagged.push(through.outlier());
    }
    // The resumed scores include the departure of member 3, found from what the state carried.
    expect(flagged).toContain(3);
    // Starting over instead would not give the same scores: the state carries something.
    expect(fresh.toState()).not.toEqual(through.toState());
    const state = stopped.toState();
    expect(() => PeerGroupDetector.fromState({ ...state, recent: [[1], ['x'], [2], []] })).toThrow(
      /failureprophet.peers version 1 or 2/
    );
    expect(() => PeerGroupDetector.fromState({ ...state, recent: [[1], [2]] })).toThrow(/at least 3/);
    expect(() => PeerGroupDetector.fromState({ ...state, recent: state.recent.map(() => Array(9).fill(0)) })).toThrow(
      /failureprophet.peers/
    );
    expect(() => PeerGroupDetector.fromState(null)).toThrow(/failureprophet.peers/);
    // Smoothing read back from the store is a number.
    expect(() => PeerGroupDetector.fromState({ ...state, scaleSmoothing: 'fast' })).toThrow(/failureprophet.peers/);
  });

  it("resumes an earlier build's snapshot with its spread, relearning its members' recent departures", () => {
    const earlier = { format: 'failureprophet.peers', version: 1, smoothing: 0.3, smoothed: [0.1, 2, -1], scale: 42 };
    expect(PeerGroupDetector.fromState({ ...earlier, scaleSmoothing: 0.02, steps: 7 }).toState()).toEqual({
      format: 'failureprophet.peers',
      version: 2,
      scaleSmoothing: 0.02,
      steps: 7,
      scale: 42,
      recent: [[], [], []],
    });
    // Without the fields earlier builds added later: the defaults, and a full window of spread.
    expect(PeerGroupDetector.fromState(earlier).toState()).toMatchObject({ scaleSmoothing: 1, steps: 1, scale: 42 });
    expect(() => PeerGroupDetector.fromState({ ...earlier, smoothed: [1, 'x', 2] })).toThrow(/failureprophet.peers/);
    expect(() => PeerGroupDetector.fromState({ ...earlier, smoothed: [1, 2] })).toThrow(/at least 3/);
  });

  it('skips missing members and needs three of them', () => {
    const peers = new PeerGroupDetector(3);
    expect(Array.from(peers.update([1, NaN, 2]))).toEqual([0, 0, 0]);
    expect(() => new PeerGroupDetector(2)).toThrow(/at least 3/);
  });
});
