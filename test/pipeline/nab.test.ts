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

  it('replays the history on first sight and finds the failure before it happens', () => {
    const [watch] = h.pipeline.watches();
    expect(watch.degraded).toBe(false);
    expect(watch.lastProcessedAt).toBe(Math.floor((last + 60_000 - 30_000) / 300_000) * 300_000);
    const anomalies = h.pipeline.anomalies({ from: nab.timestamps[0], to: last, limit: 5000 });
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
});
