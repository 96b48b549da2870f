import { DAY_OF_MINUTES, Deployment, firstFlags, paretoSpikes, studentT } from './spikyReplicas';

// Peer detection on spiky replicas: each replica's CPU makes its own short, heavy-tailed spikes
// (as in NAB's realKnownCause/cpu_utilization_asg_misconfiguration), so no replica
// differs from the others in distribution and none may be flagged; a replica that really departs
// (shifted, stuck at 0, leaking) still is, within a few steps, and it alone.

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
