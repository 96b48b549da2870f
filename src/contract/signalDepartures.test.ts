import { departureLabel, departureLabels, departureOf } from './signalDepartures';

describe("an anomaly's signals, each named by how it departed", () => {
  it('names a signal once per way it departed, and reads the name back', () => {
    const departures = [
      { signal: 'memory', kind: 'band' },
      { signal: 'memory', kind: 'stop' },
      { signal: 'memory', kind: 'peer' },
      { signal: 'memory', kind: 'forecast' },
      // One series of several a query gave the target: its labels may hold anything.
      { signal: 'memory{container="a (stopped)"}', kind: 'forecast' },
    ] as const;
    const labels = departures.map(departureLabel);
    expect(labels).toEqual([
      'memory',
      'memory (stopped)',
      'memory (vs peers)',
      'memory (limit forecast)',
      'memory{container="a (stopped)"} (limit forecast)',
    ]);
    expect(labels.map(departureOf)).toEqual(departures);
  });

  it("reads an earlier build's forecast with its countdown as the forecast, once, in the order first named", () => {
    expect(
      departureLabels([
        'memory (limit 0.95 in 42 min or later)',
        'cpu',
        'memory (limit 0.95 in 41 min)',
        'memory (limit 0.95 possibly reached now)',
        'memory (already above limit 0.95)',
        'disk (already below limit -1e-7)',
        'cpu',
        'up (stopped)',
      ])
    ).toEqual(['memory (limit forecast)', 'cpu', 'disk (limit forecast)', 'up (stopped)']);
    expect(departureOf('memory (limit 1 in 3 min or later)')).toEqual({ signal: 'memory', kind: 'forecast' });
  });
});
