import { join } from 'node:path';
import { describeIfNab, NAB_DIR } from '../../test/harness/nab';
import { FEW, generatedSeries, inject, REPEAT_DAYS, runFaults, runRepeats, summarise } from './faults';
import { readSeries } from './nabFiles';

describe('fault injection on generated series', () => {
  const series = generatedSeries();

  it('inject: a jump is 10x the largest value so far (or 9x the range above it, if more); a fault that changes nothing is skipped', () => {
    const v = Float64Array.from([1, 3, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(Array.from(inject(v, 3, 'jump') ?? [])).toEqual([1, 3, 2, 30, 30, 30, 30, 30, 30, 30]);
    expect(Array.from(inject(v, 3, 'spike') ?? [])).toEqual([1, 3, 2, 30, 2, 2, 2, 2, 2, 2]);
    expect(inject(v, 3, 'flat')).toBeNull(); // already stuck at 2
    expect(inject(Float64Array.from([0, 4, 5, 6, 7, 8]), 3, 'zero')).toBeNull(); // 0 is a usual value
  });

  it('failureprophet flags every fault type within a few samples, at every distance after an earlier alarm', () => {
    const outcomes = series.flatMap((s) => runFaults('failureprophet', s));
    expect(outcomes.length).toBeGreaterThan(200);
    expect(outcomes.filter((o) => !(o.delay < FEW))).toEqual([]);
  });

  it('failureprophet flags a service down again (the same 2 h at 0) within a few samples, a day to a week after the first', () => {
    const outcomes = series.flatMap((s) => runRepeats('failureprophet', s, ['zero']));
    expect(outcomes).toHaveLength(series.length * REPEAT_DAYS.length);
    expect(outcomes.filter((o) => !(o.delay < FEW))).toEqual([]);
  });

  it('failureprophet-v1 (before issue 12) did not: its suppression hid faults after an alarm', () => {
    const outcomes = series.flatMap((s) => runFaults('failureprophet-v1', s));
    const all = summarise(outcomes).get('all');
    expect(all && all.day / all.runs).toBeLessThan(0.9);
  });
});

describeIfNab('fault injection on dev NAB files', () => {
  it('failureprophet flags at least 99% of the injected faults within 24 h', () => {
    const files = [
      'artificialNoAnomaly/art_daily_small_noise.csv',
      'artificialWithAnomaly/art_daily_jumpsup.csv',
      'realAdExchange/exchange-3_cpc_results.csv',
      'realKnownCause/ec2_request_latency_system_failure.csv',
      'realKnownCause/nyc_taxi.csv',
    ];
    const outcomes = files.flatMap((rel) => {
      const s = readSeries(join(NAB_DIR, 'data', rel));
      return runFaults('failureprophet', { name: rel, t: s.timestamps, v: s.values });
    });
    const all = summarise(outcomes).get('all');
    expect(all?.runs).toBeGreaterThan(300);
    expect(all && all.day / all.runs).toBeGreaterThanOrEqual(0.99);
  });
});
