import { Random } from '../../src/detection';
import type { PeerGroupState } from '../../src/detection/peerGroup';
import { RECOMMENDED_THRESHOLD } from '../../src/detection/threshold';
import type { StepValues } from '../../src/server/pipeline/alignment';
import { PeerGroups } from '../../src/server/pipeline/peerGroups';
import { TargetModel } from '../../src/server/pipeline/targetModel';
import { targetId } from '../../src/server/pipeline/targets';
import { testSettings } from '../../src/server/pipeline/testTargets';

// Replicas whose CPU makes its own short, heavy-tailed spikes (as in NAB's
// realKnownCause/cpu_utilization_asg_misconfiguration), scored by the pipeline's peer groups.

export const DAY_OF_MINUTES = 1440;
export const LEVEL = 30;

/** One value per replica and step: the replicas' CPU. */
export type Replicas = (step: number) => number[];

/** Standard normal (Box-Muller). */
const normal = (rng: Random) => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());

/**
 * `n` replicas around LEVEL with unit noise, each starting a spike at a step with probability
 * `startRate` (1%: one every 100 minutes or so), of 1-3 steps, Pareto-tailed (shape 1.5: infinite
 * variance) and at least 10 spreads high.
 */
export function paretoSpikes(n: number, seed: number, startRate = 0.01): Replicas {
  const rng = new Random(seed);
  const left = new Array<number>(n).fill(0);
  const height = new Array<number>(n).fill(0);
  return () =>
    Array.from({ length: n }, (_, i) => {
      if (left[i] === 0 && rng.next() < startRate) {
        left[i] = 1 + rng.int(3);
        height[i] = 10 * Math.pow(1 - rng.next(), -1 / 1.5);
      }
      const spike = left[i] > 0 ? height[i] : 0;
      left[i] = Math.max(0, left[i] - 1);
      return LEVEL + normal(rng) + spike;
    });
}

/** `n` replicas around LEVEL with Student's t noise of 2 degrees of freedom (infinite variance): Z / sqrt(chi2(2) / 2). */
export function studentT(n: number, seed: number): Replicas {
  const rng = new Random(seed);
  return () => Array.from({ length: n }, () => LEVEL + normal(rng) / Math.sqrt(-Math.log(1 - rng.next())));
}

/** The replicas of one deployment and the pipeline's peer groups over their CPU, scored a step at a time. */
export class Deployment {
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

  /**
   * Scores `steps` steps from `from` on; returns the steps (from `from`) at which each replica was
   * flagged, by pod. `seen` is told the group's spread after each step.
   */
  run(replicas: Replicas, steps: number, from = 0, seen?: (spread: number) => void): Map<string, number[]> {
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
      seen?.((this.groups.toStore()!['deployment=web/cpu'].state as PeerGroupState).scale!);
    }
    return flagged;
  }
}

/** The first steps a replica was flagged at, by pod (the first 5, for a readable failure). */
export const firstFlags = (flagged: Map<string, number[]>) =>
  Object.fromEntries([...flagged].map(([pod, steps]) => [pod, steps.slice(0, 5)]));
