import { DETECTOR_NAMES } from '../../../detection';
import { synthetic } from '../../../detection/testSeries';
import { DetectionRuns, detectSeries, type DetectionRun } from './detection';

const window = (s: { t: Float64Array; v: Float64Array }, from: number, to: number) => ({
  time: s.t.slice(from, to),
  values: s.v.slice(from, to),
});
const outputs = (r: DetectionRun, from = 0, to = r.time.length) => ({
  score: Array.from(r.score.subarray(from, to)),
  expected: Array.from(r.expected.subarray(from, to)),
  lower: Array.from(r.lower.subarray(from, to)),
  upper: Array.from(r.upper.subarray(from, to)),
});

describe('detectSeries', () => {
  const series = synthetic('spike', 3000, 2600);
  series.v[1234] = NaN;

  it.each(DETECTOR_NAMES)(
    '%s: a window moved forward scores only its tail, and equals one pass over the whole history',
    (detector) => {
      const whole = detectSeries(window(series, 0, 3000), detector);
      const before = detectSeries(window(series, 0, 2500), detector);
      // A refresh: 300 samples dropped at the start, 500 new at the end.
      const after = detectSeries(window(series, 300, 3000), detector, before);
      expect(after.time).toHaveLength(2700);
      expect(outputs(after)).toEqual(outputs(whole, 300));
      expect(after.state).toEqual(whole.state);
    }
  );

  it('stays equal to one pass over the whole history through many small refreshes, and when one run is continued twice', () => {
    const whole = detectSeries(window(series, 0, 3000), 'failureprophet');
    // 600 samples in view, 4 more per refresh: more refreshes than the room kept after a run, so its storage moves.
    let run = detectSeries(window(series, 0, 600), 'failureprophet');
    for (let end = 604; end <= 3000; end += 4) {
      run = detectSeries(window(series, end - 600, end), 'failureprophet', run);
    }
    expect(outputs(run)).toEqual(outputs(whole, 2400));

    const base = detectSeries(window(series, 0, 2000), 'failureprophet');
    const one = detectSeries(window(series, 10, 2010), 'failureprophet', base);
    const other = detectSeries(window(series, 20, 2020), 'failureprophet', base);
    expect(outputs(one)).toEqual(outputs(whole, 10, 2010));
    expect(outputs(other)).toEqual(outputs(whole, 20, 2020));
  });

  it('says what the detector could not yet do at the last sample: alarm at all, or more than gross faults', () => {
    // 5-minute samples: failureprophet learns its band for 2.5 h, ARTime the shapes for 62.5 h (750 samples).
    expect(detectSeries(window(series, 0, 20), 'failureprophet').warmup).toBe('learning');
    const day = detectSeries(window(series, 0, 300), 'failureprophet');
    expect(day.warmup).toBe('faultsOnly');
    expect(detectSeries(window(series, 0, 1000), 'failureprophet').warmup).toBeUndefined();
    // A refresh that runs on past the shapes' probation scores fully; one that only drops samples keeps its warm-up.
    expect(detectSeries(window(series, 100, 1000), 'failureprophet', day).warmup).toBeUndefined();
    expect(detectSeries(window(series, 100, 300), 'failureprophet', day).warmup).toBe('faultsOnly');
    // A detector without a longer warm-up of its own says nothing once past its first samples.
    expect(detectSeries(window(series, 0, 300), 'zscore').warmup).toBeUndefined();
  });

  it('returns the previous run itself for the same samples in fresh arrays, equal to a fresh run', () => {
    const first = detectSeries(window(series, 0, 2000), 'failureprophet');
    const again = detectSeries(window(series, 0, 2000), 'failureprophet', first);
    expect(again).toBe(first);
    expect(outputs(again)).toEqual(outputs(detectSeries(window(series, 0, 2000), 'failureprophet')));
  });

  it('keeps the previous scores when only the start moved', () => {
    const first = detectSeries(window(series, 0, 2000), 'failureprophet');
    const later = detectSeries(window(series, 500, 2000), 'failureprophet', first);
    expect(outputs(later)).toEqual(outputs(first, 500));
    expect(later.state).toBe(first.state);
  });

  it('scores afresh when the samples do not continue the previous ones', () => {
    const first = detectSeries(window(series, 0, 2000), 'failureprophet');
    const changed = window(series, 100, 2100);
    changed.values[50] += 1;
    const cases = [
      { name: 'a value in the overlap changed', samples: changed, detector: 'failureprophet' },
      { name: 'an older range', samples: window(series, 0, 1500), detector: 'failureprophet' },
      {
        name: 'a range starting before the previous one',
        samples: {
          time: Float64Array.of(series.t[0] - 300_000, ...series.t.slice(0, 2000)),
          values: Float64Array.of(50, ...series.v.slice(0, 2000)),
        },
        detector: 'failureprophet',
      },
      { name: 'another detector', samples: window(series, 100, 2100), detector: 'ewma' },
    ];
    for (const c of cases) {
      expect({ name: c.name, ...outputs(detectSeries(c.samples, c.detector, first)) }).toEqual({
        name: c.name,
        ...outputs(detectSeries(c.samples, c.detector)),
      });
    }
  });
});

describe('DetectionRuns', () => {
  it('continues each series from its own last run, and forgets series that left the panel', () => {
    const a = synthetic('spike', 1200, 1100, 1);
    const b = synthetic('step', 1200, 1100, 2);
    const runs = new DetectionRuns();
    runs.update(
      [
        { name: 'a', ...window(a, 0, 1000) },
        { name: 'b', ...window(b, 0, 1000) },
      ],
      'failureprophet'
    );
    const [ra, rb] = runs.update(
      [
        { name: 'a', ...window(a, 200, 1200) },
        { name: 'b', ...window(b, 200, 1200) },
      ],
      'failureprophet'
    );
    expect(outputs(ra)).toEqual(outputs(detectSeries(window(a, 0, 1200), 'failureprophet'), 200));
    expect(outputs(rb)).toEqual(outputs(detectSeries(window(b, 0, 1200), 'failureprophet'), 200));
    // Only the 200 new samples of each series were scored.
    expect(runs.lastScored).toBe(400);

    // Runs are kept by position and name: "b", now first, is scored afresh.
    runs.update([{ name: 'b', ...window(b, 200, 1200) }], 'failureprophet');
    expect(runs.lastScored).toBe(1000);
    runs.update([{ name: 'b', ...window(b, 200, 1200) }], 'failureprophet');
    expect(runs.lastScored).toBe(0);
    // "a" left; when it comes back (now at position 1) it is scored afresh.
    const [, back] = runs.update(
      [
        { name: 'b', ...window(b, 200, 1200) },
        { name: 'a', ...window(a, 200, 1200) },
      ],
      'failureprophet'
    );
    expect(outputs(back)).toEqual(outputs(detectSeries(window(a, 200, 1200), 'failureprophet')));
    expect(runs.lastScored).toBe(1000);
  });
});
