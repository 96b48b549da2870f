import { DAY_OF_MINUTES, Deployment, firstFlags, paretoSpikes } from './spikyReplicas';

// The spread a replica's departure is measured in, in a group whose replicas spike on their own
// (short, Pareto-tailed spikes over unit noise): it must be the replicas' noise. Steps at which two
// replicas spike together have a spread of the spikes' height; counted in, they widened the group's
// spread 2.4-2.9 times with spikes starting on 8% of steps, and a real departure had to be that much
// larger to be seen.

/** The quantile `q` of `values`. */
const quantile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))];

describe.each([3, 4])('%i replicas whose spikes start on 8% of steps', (n) => {
  it("measure a departure in their noise's standard deviation, not in their spikes'", () => {
    for (const seed of [1, 2]) {
      const spreads: number[] = [];
      // From step 200 on, when the spread is the median of a full window of steps.
      new Deployment(n).run(paretoSpikes(n, seed, 0.08), 2 * DAY_OF_MINUTES, 0, (spread) => spreads.push(spread));
      const [median, highest] = [0.5, 0.99].map((q) => quantile(spreads.slice(200), q));
      // One spiking replica still widens its step's spread (among 3 it is the gap between the other two).
      expect(median).toBeLessThan(1.6);
      expect(highest).toBeLessThan(2.5);
    }
  });
});

describe.each([3, 4])('%i replicas whose spikes start on 3% of steps, one shifted after a day', (n) => {
  it('flags the replica shifted by 7 standard deviations of their noise within 20 steps, and no other', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const spiky = paretoSpikes(n, seed, 0.03);
      const start = DAY_OF_MINUTES;
      const flagged = new Deployment(n).run((step) => {
        const values = spiky(step);
        if (step >= start) {
          values[0] += 7;
        }
        return values;
      }, start + 30);
      const first = flagged.get('web-0')?.find((step) => step >= start);
      const others = new Map([...flagged].map(([pod, steps]) => [pod, steps.filter((step) => step >= start)]));
      others.delete('web-0');
      expect({ seed, within20: first !== undefined && first - start < 20 }).toEqual({ seed, within20: true });
      expect({ seed, others: firstFlags(new Map([...others].filter(([, steps]) => steps.length > 0))) }).toEqual({
        seed,
        others: {},
      });
    }
  });
});
