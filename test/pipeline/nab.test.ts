import { describeIfNab, nabWindows, readNabSeries } from '../harness/nab';
import { startPrometheus, type RunningPrometheus } from '../harness/prometheus';
import { buildPipeline, TestClock, type Harness } from './helpers';

const FILE = 'realKnownCause/machine_temperature_system_failure.csv';

describeIfNab('the watch loop on NAB machine_temperature_system_failure (real Prometheus)', () => {
  let prom: RunningPrometheus;
  let h: Harness;
  const nab = readNabSeries(FILE);
  const last = nab.timestamps[nab.timestamps.length - 1];

  beforeAll(async () => {
    prom = await startPrometheus([
      { name: 'machine_temperature', labels: { job: 'machine' }, timestamps: nab.timestamps, values: nab.values },
    ]);
    // The minimal watch of the issue, as it is.
    h = buildPipeline(
      {
        prometheus: { url: prom.url },
        watches: [
          {
            name: 'machine-temperature',
            queries: { temperature: 'machine_temperature' },
            target: ['job'],
            step: '5m',
            history: '90d',
          },
        ],
      },
      new TestClock(last + 60_000)
    );
    await h.pipeline.runOnce();
  }, 120_000);

  afterAll(async () => {
    await h?.close(true);
    await prom?.stop();
  });

  it('replays the history on first sight and finds the failure before it happens', async () => {
    const [watch] = h.pipeline.watches();
    expect(watch.degraded).toBe(false);
    expect(watch.lastProcessedAt).toBe(Math.floor((last + 60_000 - 30_000) / 300_000) * 300_000);
    const anomalies = await h.pipeline.anomalies({ from: nab.timestamps[0], to: last, limit: 5000 });
    const windows = nabWindows(FILE);
    const labels = windows.map(([a, b]) => (a + b) / 2);
    const lines: string[] = [];
    let caughtFailure = false;
    windows.forEach(([a], i) => {
      const first = anomalies.filter((x) => x.start >= a && x.start <= labels[i]).sort((x, y) => x.start - y.start)[0];
      const lead = first ? (labels[i] - first.start) / 3_600_000 : undefined;
      lines.push(
        `label ${new Date(labels[i]).toISOString()}: ${lead === undefined ? 'not found before it' : `anomaly ${lead.toFixed(1)} h before (${first.severity}, ${first.failureModel}, peak ${first.peakScore.toFixed(2)})`}`
      );
      // The third label is the catastrophic failure (NAB's description of the file).
      if (i === 2 && lead !== undefined && lead > 0) {
        caughtFailure = true;
      }
    });
    const outside = anomalies.filter((x) => !windows.some(([a, b]) => x.start >= a && x.start <= b)).length;
    lines.push(`${anomalies.length} anomalies in all, ${outside} outside the labelled windows`);
    console.log(`machine_temperature_system_failure lead times:\n  ${lines.join('\n  ')}`);
    expect(caughtFailure).toBe(true);
  });

  const nearWindow = (x: { start: number; end: number }) =>
    nabWindows(FILE).some(([a, b]) => x.start <= b && x.end >= a - 24 * 3_600_000);

  it('opens an episode before or inside each labelled failure, each with a side and a failure model fitting a temperature', async () => {
    const anomalies = await h.pipeline.anomalies({ from: nab.timestamps[0], to: last, limit: 5000 });
    const lines = anomalies.map(
      (a) =>
        `${new Date(a.start).toISOString()} for ${(a.end - a.start) / 60_000} min, ${a.direction}, ${a.severity}, ${a.failureModel}, peak ${a.peakScore.toFixed(2)}${a.peak ? ` at ${a.peak.value.toFixed(1)} (expected ${a.peak.expected?.toFixed(1)})` : ''}${nearWindow(a) ? ' (labelled failure)' : ''}`
    );
    console.log(`machine_temperature_system_failure episodes:\n  ${lines.join('\n  ')}`);
    for (const [a, b] of nabWindows(FILE)) {
      // Before or inside the window: an episode that starts by its end and lasts until a day before its start or later.
      expect(anomalies.some((x) => x.start <= b && x.end >= a - 24 * 3_600_000)).toBe(true);
    }
    for (const x of anomalies) {
      // A dip is a machine that stopped, a rise heat that cooling no longer removes: never a partition or byzantine.
      expect(['above', 'below']).toContain(x.direction);
      expect(x.failureModel).toBe(x.direction === 'below' ? 'crash' : 'resource_exhaustion');
    }
  });

  it('stores where each episode peaked: inside it, on the temperature, on the side it left the band', async () => {
    const anomalies = await h.pipeline.anomalies({ from: nab.timestamps[0], to: last, limit: 5000 });
    expect(anomalies.length).toBeGreaterThan(0);
    for (const x of anomalies) {
      const peak = x.peak!;
      expect(peak.signal).toBe('temperature');
      expect(peak.at).toBeGreaterThanOrEqual(x.start);
      expect(peak.at).toBeLessThanOrEqual(x.end);
      // The value is the series' own sample at that step, read back from the store.
      expect(peak.value).toBe(nab.values[nab.timestamps.indexOf(peak.at)]);
      expect(peak.expected).not.toBeNull();
      expect(Math.sign(peak.value - peak.expected!)).toBe(x.direction === 'above' ? 1 : -1);
    }
  });

  it('gives every episode a duration: it ends when the temperature is next seen normal', async () => {
    const anomalies = await h.pipeline.anomalies({ from: nab.timestamps[0], to: last, limit: 5000 });
    expect(anomalies.length).toBeGreaterThan(0);
    for (const x of anomalies) {
      expect(x.end).toBeGreaterThan(x.start);
    }
  });

  // The issue's target. failureprophet v6 opened 14-16 episodes elsewhere here (2026-12-05): short
  // alarms of its level views on dips inside the past week's range, which no pipeline-side rule told
  // from the failures' (RESULTS.md, "Sustained departures without damping"). v9 (stop 29), ARTime
  // with gross-fault calls, opens 11: each failure caught, 4 elsewhere (2014-01-05, 01-24, 02-03,
  // 02-16), as `failureprophet-leaders-seen` did before it became the product.
  it('opens at most 5 episodes elsewhere', async () => {
    const anomalies = await h.pipeline.anomalies({ from: nab.timestamps[0], to: last, limit: 5000 });
    expect(anomalies.filter((x) => !nearWindow(x)).length).toBeLessThanOrEqual(5);
  });
});
