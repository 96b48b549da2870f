import { Random } from '../random';
import { CrossingForecaster } from './crossing';
import { breaks } from './resets';

const T0 = Date.UTC(2026, 10, 2);
const MIN = 60_000;
const HOUR = 60 * MIN;

/** A standard normal draw (Box-Muller). */
const gauss = (rng: Random): number => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());

/** A leak of 0.01 an hour from 0.4, noise sd 0.005: it crosses 0.95 at 55 h. */
const leak = (rng: Random) => (t: number) => 0.4 + (0.01 * t) / HOUR + 0.005 * gauss(rng);
const CROSSES_AT = 55 * HOUR;

/**
 * Feeds the leak every `step` from 0 to `to` (skipping times `skip` says, replacing values `garbage`
 * gives) as the pipeline does (a 1-day horizon); from `askFrom` on asks the crossing of 0.95 at
 * each step, and answers how many it asked, those with no crossing, and those whose crossing is off
 * the truth by more than a quarter of the time left plus 15 minutes (the noise of its trend, not its absence).
 */
function replay(options: {
  seed: number;
  to: number;
  askFrom: number;
  step?: number;
  skip?: (t: number) => boolean;
  garbage?: (t: number) => number | undefined;
}): { asked: number; missing: string[]; off: string[] } {
  const { seed, to, askFrom, step = MIN, skip = () => false, garbage = () => undefined } = options;
  const level = leak(new Random(seed));
  const f = new CrossingForecaster({ horizonMs: 24 * HOUR });
  const missing: string[] = [];
  let asked = 0;
  const off: string[] = [];
  for (let t = 0; t <= to; t += step) {
    const v = level(t);
    if (skip(t)) {
      continue;
    }
    f.update(T0 + t, garbage(t) ?? v);
    if (t < askFrom) {
      continue;
    }
    asked++;
    const c = f.crossing(0.95, 'above');
    if (typeof c === 'string') {
      missing.push(`${(t / HOUR).toFixed(2)} h: ${c}`);
    } else if (Math.abs(c.seconds * 1000 - (CROSSES_AT - t)) > 0.25 * (CROSSES_AT - t) + 15 * MIN) {
      off.push(`${(t / HOUR).toFixed(2)} h: ${(c.seconds / 3600).toFixed(2)} h`);
    }
  }
  return { asked, missing, off };
}

describe('CrossingForecaster: one garbage sample does not hide a leak', () => {
  it('follows the leak through a sample of 5.4e8 (bytes where a ratio was expected) at 36 h', () => {
    // Before the glitch the leak is seen from 36.75 h on (its crossing within a day): from then to
    // an hour before the crossing, at every step.
    const r = replay({
      seed: 3,
      to: 54 * HOUR,
      askFrom: 37 * HOUR,
      garbage: (t) => (t === 36 * HOUR ? 5.4e8 : undefined),
    });
    expect(r.missing).toEqual([]);
    expect(r.asked).toBe(17 * 60 + 1);
    expect(r.off).toEqual([]);
  });

  it('says nothing is crossed while that sample is most of the filling bucket', () => {
    const level = leak(new Random(3));
    const f = new CrossingForecaster({ horizonMs: 24 * HOUR });
    // Through the whole bucket: its mean, that sample's share in it, stays far over the limit.
    for (let t = 0; t < 36 * HOUR + 30 * MIN; t += MIN) {
      f.update(T0 + t, t === 36 * HOUR ? 5.4e8 : level(t));
      if (t >= 36 * HOUR) {
        const c = f.crossing(0.95, 'above');
        expect(typeof c === 'string' ? c : c.seconds).not.toBe(0);
      }
    }
  });

  it('follows it through two garbage samples in one bucket, and through one at a 30-minute step', () => {
    const twice = replay({
      seed: 4,
      to: 54 * HOUR,
      askFrom: 38 * HOUR,
      garbage: (t) => (t === 36 * HOUR + 10 * MIN || t === 36 * HOUR + 11 * MIN ? 1.7e308 : undefined),
    });
    expect(twice.missing).toEqual([]);
    expect(twice.off).toEqual([]);
    // One sample a bucket: the glitch is a whole bucket, left out once the next one is back at the level.
    const coarse = replay({
      seed: 5,
      to: 54 * HOUR,
      askFrom: 37 * HOUR,
      step: 30 * MIN,
      garbage: (t) => (t === 36 * HOUR ? -3e9 : undefined),
    });
    expect(coarse.missing).toEqual([]);
  });

  it('reads a step over the limit as crossed once the bucket after it holds the step too', () => {
    // Until then one sample over the limit cannot be told from garbage, and is its bucket's mean.
    const rng = new Random(6);
    const f = new CrossingForecaster({ horizonMs: 24 * HOUR });
    const stepAt = 40 * HOUR;
    const answers: string[] = [];
    for (let t = 0; t <= stepAt + 40 * MIN; t += MIN) {
      f.update(T0 + t, (t < stepAt ? 0.5 : 0.97) + 0.005 * gauss(rng));
      const c = f.crossing(0.95, 'above');
      if (t >= stepAt) {
        answers.push(typeof c === 'string' ? 'none' : c.seconds === 0 ? 'crossed' : 'ahead');
      }
    }
    expect(answers).toEqual([...Array<string>(30).fill('none'), ...Array<string>(11).fill('crossed')]);
  });
});

describe('CrossingForecaster: a scrape gap is no reset', () => {
  it.each([1, 2, 6])('finds the leak again within an hour after a %i h outage at 36 h', (hours) => {
    const back = 36 * HOUR + hours * HOUR;
    const r = replay({ seed: 3, to: 54 * HOUR, askFrom: back + HOUR, skip: (t) => t > 36 * HOUR && t < back });
    expect(r.missing).toEqual([]);
    expect(r.off).toEqual([]);
  });

  it.each([
    // Samples stop after 36:00 and resume at 36:30: the bucket from 36:00 holds one sample.
    [0.5, 36 * HOUR],
    // ... stop after 36:29 and resume at 42:29: the bucket from 42:00 holds one.
    [6, 36 * HOUR + 29 * MIN],
  ])('finds it again within an hour after a %s h outage leaving a bucket of one sample', (hours, from) => {
    const back = from + hours * HOUR;
    const r = replay({ seed: 3, to: 54 * HOUR, askFrom: back + HOUR, skip: (t) => t > from && t < back });
    expect(r.missing).toEqual([]);
    expect(r.off).toEqual([]);
  });
});

describe('CrossingForecaster: an established forecast at bucket boundaries', () => {
  it.each([1, 5])('is there at every step of a steady leak, the first samples of each bucket too (seed %i)', (seed) => {
    const r = replay({ seed, to: 54 * HOUR, askFrom: 38 * HOUR });
    expect(r.missing).toEqual([]);
  });
});

describe('breaks: outliers and gaps', () => {
  const rng = new Random(4);
  const ramp = Array.from({ length: 96 }, (_, i) => 0.3 + 0.001 * i + 0.002 * rng.next());

  it('reports a bucket that jumps away and straight back as an outlier, not as resets', () => {
    const spiked = ramp.map((v, i) => (i === 40 ? 1.8e7 : v));
    const found = breaks(spiked);
    expect(Array.from(found.outliers)).toEqual([40]);
    // A step that stays is a reset, and no outlier.
    const stepped = ramp.map((v, i) => (i >= 40 ? v - 0.2 : v));
    const step = breaks(stepped);
    expect(Array.from(step.outliers)).toEqual([]);
    expect(Array.from(step.resets)).toEqual([41]);
  });

  it('judges a change across empty buckets per bucket it spans', () => {
    // A steep ramp (noise 0.0002 a bucket) with buckets 40 to 47 empty: the change across them is 9 buckets' rise.
    const steep = Array.from({ length: 96 }, (_, i) => 0.3 + 0.01 * i + 0.0002 * rng.next());
    const kept = steep.map((_, i) => i).filter((i) => i < 40 || i > 47);
    const y = kept.map((i) => steep[i]);
    const t = kept.map((i) => i * 10 + 5);
    expect(Array.from(breaks(y).resets)).not.toEqual([]);
    expect(Array.from(breaks(y, t, 10).resets)).toEqual([]);
    // A real drop across the gap is still a reset.
    const dropped = y.map((v, i) => (kept[i] > 47 ? v - 0.6 : v));
    expect(Array.from(breaks(dropped, t, 10).resets)).toEqual([41]);
  });

  it('takes none of the oldest buckets for an outlier, whose changes have no neighbours before them', () => {
    // The oldest kept: the end of a fall, then a steep rise (NAB machine temperature, 2013-12-16).
    const noise = new Random(1);
    const y = [37.39, 26.81, 17.25, 6.78, 38.77, 42.25, 66.38, 80.1, 88.3];
    y.push(...Array.from({ length: 60 }, () => 90 + 3 * noise.next()));
    expect(Array.from(breaks(y).outliers)).toEqual([]);
  });

  it('widens the bar of the newest mean by its noise', () => {
    // The newest mean off the ramp by 0.03: a reset from a full bucket, not from one of a thirtieth of the samples.
    const y = [...ramp.slice(0, 60), ramp[60] + 0.03];
    expect(Array.from(breaks(y).resets)).toEqual([60]);
    expect(Array.from(breaks(y, undefined, 1, 30).resets)).toEqual([]);
  });
});
