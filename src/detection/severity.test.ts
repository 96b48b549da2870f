import { Random } from './random';
import { assess, PeerGroupDetector } from './severity';

describe('severity and failure model', () => {
  it('calls a target that went down a critical crash', () => {
    const a = assess({ signals: [{ name: 'up', kind: 'up', score: 0.95, direction: 'below' }] });
    expect(a).toMatchObject({ severity: 'critical', failureModel: 'crash' });
  });

  it('calls memory heading for its limit resource exhaustion, graded by time to failure', () => {
    const mem = (ttf: number) =>
      assess({ signals: [{ name: 'mem', kind: 'memory', score: 0.1, direction: 'above', timeToFailureSeconds: ttf }] });
    expect(mem(600)).toMatchObject({ severity: 'critical', failureModel: 'resource_exhaustion' });
    expect(mem(2400).severity).toBe('high');
    expect(mem(4 * 3600).severity).toBe('medium');
    expect(mem(Infinity).severity).toBe('low');
  });

  it('calls a restart or a stop as a resource reaches its limit the exhaustion it is, and one far from it a crash', () => {
    const restarted = (ttf: number, kind: 'restarts' | 'up' = 'restarts') =>
      assess({
        signals: [
          { name: 'mem', kind: 'memory', score: 0, direction: 'below', timeToFailureSeconds: ttf },
          { name: kind, kind, score: 1, direction: kind === 'up' ? 'below' : 'above' },
        ],
      });
    expect(restarted(30)).toMatchObject({ severity: 'critical', failureModel: 'resource_exhaustion' });
    expect(restarted(30).reasons[0]).toMatch(/restarted or stopped as a resource reached its limit/);
    expect(restarted(0, 'up').failureModel).toBe('resource_exhaustion');
    // A crossing still an hour or more away did not make the target restart: a crash, as without a forecast.
    expect(restarted(3600).failureModel).toBe('crash');
    expect(restarted(Infinity).failureModel).toBe('crash');
  });

  it('calls latency up with traffic down a network partition', () => {
    const a = assess({
      signals: [
        { name: 'p99', kind: 'latency', score: 0.7, direction: 'above' },
        { name: 'rps', kind: 'traffic', score: 0.6, direction: 'below' },
      ],
    });
    expect(a.failureModel).toBe('network_partition');
    expect(a.severity).toBe('medium');
  });

  it('calls a replica departing from its peers byzantine', () => {
    const a = assess({ signals: [{ name: 'cpu', kind: 'cpu', score: 0.6, direction: 'above' }], peerOutlier: true });
    expect(a.failureModel).toBe('byzantine');
    expect(a.reasons.length).toBeGreaterThan(1);
  });
});

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

  /** One step of n replicas' noise: standard normal (Box-Muller), so the spread to find is 1. */
  const normalStep = (rng: Random, n: number) =>
    Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next()));

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
    for (let step = 12; step < 30; step++) {
      const expected = Array.from(through.update(values(step)));
      expect(Array.from(resumed.update(values(step)))).toEqual(expected);
      fresh.update(values(step));
    }
    // Starting over instead would not give the same scores: the state carries something.
    expect(fresh.toState()).not.toEqual(through.toState());
    expect(() => PeerGroupDetector.fromState({ ...stopped.toState(), smoothed: [1, 'x', 2] })).toThrow(
      /failureprophet.peers version 1/
    );
    expect(() => PeerGroupDetector.fromState({ ...stopped.toState(), smoothed: [1, 2] })).toThrow(/at least 3/);
    expect(() => PeerGroupDetector.fromState(null)).toThrow(/failureprophet.peers/);
    // Smoothing read back from the store is a number or absent (a snapshot of an earlier build: the defaults).
    expect(() => PeerGroupDetector.fromState({ ...stopped.toState(), smoothing: 'fast' })).toThrow(
      /failureprophet.peers version 1/
    );
    const { smoothing: _s, scaleSmoothing: _ss, ...earlier } = stopped.toState();
    expect(PeerGroupDetector.fromState(earlier).toState()).toMatchObject({ smoothing: 0.3, scaleSmoothing: 1 });
  });

  it('skips missing members and needs three of them', () => {
    const peers = new PeerGroupDetector(3);
    expect(Array.from(peers.update([1, NaN, 2]))).toEqual([0, 0, 0]);
    expect(() => new PeerGroupDetector(2)).toThrow(/at least 3/);
  });
});

describe('failure model by kind and direction', () => {
  it('never calls a temperature dip resource exhaustion; a rise towards the thermal limit is', () => {
    const temp = (direction: 'above' | 'below') =>
      assess({ signals: [{ name: 'temperature', kind: 'temperature', score: 0.7, direction }] });
    expect(temp('below').failureModel).toBe('crash');
    expect(temp('above').failureModel).toBe('resource_exhaustion');
  });

  it('grades memory that moved the harmless way (freed) low', () => {
    const a = assess({ signals: [{ name: 'memory', kind: 'memory', score: 0.7, direction: 'below' }] });
    expect(a.severity).toBe('low');
    const up = assess({ signals: [{ name: 'memory', kind: 'memory', score: 0.7, direction: 'above' }] });
    expect(up).toMatchObject({ severity: 'medium', failureModel: 'resource_exhaustion' });
  });
});
