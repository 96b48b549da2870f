import { Random } from '../../src/detection';
import { RECOMMENDED_THRESHOLD } from '../../src/detection/threshold';
import type { StepValues } from '../../src/server/pipeline/alignment';
import { PeerGroups } from '../../src/server/pipeline/peerGroups';
import { TargetModel } from '../../src/server/pipeline/targetModel';
import { targetId } from '../../src/server/pipeline/targets';
import { testSettings } from '../../src/server/pipeline/testTargets';

// Peer detection on spiky replicas: each replica's CPU makes its own short, heavy-tailed spikes
// (as in NAB's realKnownCause/cpu_utilization_asg_misconfiguration), so no replica
// differs from the others in distribution and none may be flagged; a replica that really departs
// (shifted, stuck at 0, leaking) still is, within a few steps, and it alone.

const DAY_OF_MINUTES = 1440;
const LEVEL = 30;

/** One value per replica and step: the replicas' CPU. */
type Replicas = (step: number) => number[];

/** Standard normal (Box-Muller). */
const normal = (rng: Random) => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());

/**
 * `n` replicas around LEVEL with unit noise, each starting a spike at a step with probability 1%
 * (one every 100 minutes or so), of 1-3 steps, Pareto-tailed (shape 1.5: infinite variance) and
 * at least 10 spreads high.
 */
function paretoSpikes(n: number, seed: number): Replicas {
  const rng = new Random(seed);
  const left = new Array<number>(n).fill(0);
  const height = new Array<number>(n).fill(0);
  return () =>
    Array.from({ length: n }, (_, i) => {
      if (left[i] === 0 && rng.next() < 0.01) {
        left[i] = 1 + rng.int(3);
        height[i] = 10 * Math.pow(1 - rng.next(), -1 / 1.5);
      }
      const spike = left[i] > 0 ? height[i] : 0;
      left[i] = Math.max(0, left[i] - 1);
      return LEVEL + normal(rng) + spike;
    });
}

/** `n` replicas around LEVEL with Student's t noise of 2 degrees of freedom (infinite variance): Z / sqrt(chi2(2) / 2). */
function studentT(n: number, seed: number): Replicas {
  const rng = new Random(seed);
  return () => Array.from({ length: n }, () => LEVEL + normal(rng) / Math.sqrt(-Math.log(1 - rng.next())));
}

/** The replicas of one deployment and the pipeline's peer groups over their CPU, scored a step at a time. */
class Deployment {
  private readonly groups = new PeerGroups(['deployment'], ['cpu']);
  private readonly targets: TargetModel[];
  private values: number[] = [];
  private readonly aligned: StepValues;

  constructor(readonly n: number) {
    const settings = testSettings({ detector: 'failureprophet' });
    this.targets = Array.from({ length: n }, (_, i) => {
      const labels = { deployment: 'web', pod: `web-${i}` };
      const target = new TargetModel(targetId('w', labels), 'w', labels, null, settings, RECOMMENDED_THRESHOLD);
      target.signalIndex({ name: 'cpu', kind: 'cpu' });
      return target;
    });
    this.aligned = {
      targets: this.targets,
      present: n,
      value: (slot, k) => (k === 0 ? this.values[slot] : NaN),
    };
  }

  /** Scores `steps` steps from `from` on; returns the steps (from `from`) at which each replica was flagged, by pod. */
  run(replicas: Replicas, steps: number, from = 0): Map<string, number[]> {
    const flagged = new Map<string, number[]>();
    for (let step = from; step < from + steps; step++) {
      this.values = replicas(step);
      const scores = this.groups.score(this.groups.of(this.aligned), this.aligned);
      for (const target of this.targets) {
        if (scores.get(target.id)!.score >= RECOMMENDED_THRESHOLD) {
          const pod = target.labels.pod;
          flagged.set(pod, [...(flagged.get(pod) ?? []), step - from]);
        }
      }
    }
    return flagged;
  }
}

/** The first steps a replica was flagged at, by pod (the first 5, for a readable failure). */
const firstFlags = (flagged: Map<string, number[]>) =>
  Object.fromEntries([...flagged].map(([pod, steps]) => [pod, steps.slice(0, 5)]));

describe.each([3, 4])('%i replicas with spiky, heavy-tailed CPU and none departing', (n) => {
  it.each([
    ['short Pareto-tailed spikes, each replica its own', paretoSpikes],
    ["Student's t noise (2 degrees of freedom)", studentT],
  ])('flags none of them over 7 days of one-minute steps: %s', (_, noise) => {
    for (const seed of [1, 2]) {
      const flagged = new Deployment(n).run(noise(n, seed), 7 * DAY_OF_MINUTES);
      expect({ seed, flagged: firstFlags(flagged) }).toEqual({ seed, flagged: {} });
    }
  });
});

describe.each([3, 4])('%i spiky replicas, one of which departs after a day', (n) => {
  const departures: Array<[string, number, (value: number, since: number) => number]> = [
    ['shifted 15 spreads up', 8, (v) => v + 15],
    ['stuck at 0', 8, () => 0],
    // 0.5 spreads a step: 10 spreads out after 20 steps.
    ['leaking', 20, (v, since) => v + 0.5 * since],
  ];

  it.each(departures)('flags the replica %s within %i steps, and no other replica', (_, within, depart) => {
    for (const seed of [3, 4]) {
      const deployment = new Deployment(n);
      const spiky = paretoSpikes(n, seed);
      const start = DAY_OF_MINUTES;
      const flagged = deployment.run((step) => {
        const values = spiky(step);
        if (step >= start) {
          values[0] = depart(values[0], step - start);
        }
        return values;
      }, start + 60);
      const first = flagged.get('web-0')?.find((step) => step >= start);
      expect({ seed, others: firstFlags(new Map([...flagged].filter(([pod]) => pod !== 'web-0'))) }).toEqual({
        seed,
        others: {},
      });
      expect({ seed, before: flagged.get('web-0')?.filter((step) => step < start) ?? [] }).toEqual({
        seed,
        before: [],
      });
      expect(first! - start).toBeLessThan(within);
    }
  });
});
