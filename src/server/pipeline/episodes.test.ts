import { Episodes, type Alarm } from './episodes';

const STEP = 300_000;
const target = { id: 'node{instance="a"}', watch: 'node', labels: { instance: 'a' } };
const alarm = (t: number, score: number, direction: Alarm['direction'] = 'above'): Alarm => ({
  t,
  score,
  severity: score > 0.5 ? 'high' : 'medium',
  failureModel: 'resource_exhaustion',
  reasons: [`score ${score}`],
  signals: [`mem@${t}`],
  direction,
});

describe('Episodes', () => {
  it('gives a single abnormal step a duration of one step: it ends when the signal is next seen normal', () => {
    const e = new Episodes(target, 3);
    e.alarm(alarm(0, 0.3));
    e.calm(STEP);
    expect(e.open).toMatchObject({ start: 0, end: STEP, state: 'open' });
    e.calm(2 * STEP);
    e.calm(3 * STEP);
    const [closed] = e.take();
    expect(closed).toMatchObject({ start: 0, end: STEP, state: 'closed' });
    expect(e.open).toBeNull();
  });

  it('stays open while the signal stays abnormal, keeps its peak, side and every signal that moved', () => {
    const e = new Episodes(target, 2);
    e.alarm(alarm(0, 0.3));
    e.persist(STEP);
    e.calm(STEP); // the same step: still abnormal, not quiet
    e.alarm(alarm(2 * STEP, 0.8, 'below'));
    e.persist(3 * STEP);
    e.calm(4 * STEP);
    // Abnormal again before closing: the same episode goes on.
    e.persist(5 * STEP);
    e.calm(6 * STEP);
    expect(e.open).toMatchObject({ start: 0, end: 6 * STEP, peakScore: 0.8, direction: 'below', severity: 'high' });
    expect(e.open?.signals).toEqual(['mem@0', `mem@${2 * STEP}`]);
    e.calm(7 * STEP);
    expect(e.take()).toEqual([expect.objectContaining({ state: 'closed', start: 0, end: 6 * STEP })]);
    // A later alarm opens a new episode.
    e.alarm(alarm(20 * STEP, 0.4));
    expect(e.take()).toEqual([expect.objectContaining({ state: 'open', start: 20 * STEP, end: 20 * STEP })]);
  });

  it('keeps where it peaked: the step, signal, value and expected value of its highest score', () => {
    const e = new Episodes(target, 3);
    const at = (t: number, score: number, value: number): Alarm => ({
      ...alarm(t, score),
      peak: { at: t, signal: 'mem', value, expected: 0.5 },
    });
    e.alarm(at(0, 0.4, 0.7));
    e.alarm(at(STEP, 0.9, 0.95));
    e.alarm(at(2 * STEP, 0.6, 0.8));
    // A step whose highest signal had no value keeps the peak already found.
    e.alarm({ ...alarm(3 * STEP, 0.5), peak: undefined });
    expect(e.open?.peak).toEqual({ at: STEP, signal: 'mem', value: 0.95, expected: 0.5 });
  });

  it('reports the end moving once, when the signal is back to normal', () => {
    const e = new Episodes(target, 4);
    e.alarm(alarm(0, 0.3));
    expect(e.take()).toHaveLength(1);
    e.calm(STEP);
    expect(e.take()).toEqual([expect.objectContaining({ end: STEP })]);
    e.calm(2 * STEP);
    expect(e.take()).toEqual([]);
  });

  it('counts the episodes opened since the last take as unstored: every one opened, not one restored', () => {
    const e = new Episodes(target, 1);
    e.alarm(alarm(0, 0.3));
    e.calm(STEP);
    e.alarm(alarm(2 * STEP, 0.4));
    // Two opened (one closed already): both unstored, the newest of the take.
    expect(e.unstored).toBe(2);
    expect(e.take()).toHaveLength(2);
    expect(e.unstored).toBe(0);
    e.alarm(alarm(3 * STEP, 0.5));
    expect(e.take()).toHaveLength(1);
    expect(e.unstored).toBe(0);

    // Restored from a state stored with the anomaly's first insert: no id, yet stored.
    const before = new Episodes(target, 1);
    before.alarm(alarm(0, 0.3));
    const restored = new Episodes(target, 1);
    restored.restore(before.take()[0], 0);
    restored.alarm(alarm(STEP, 0.6));
    expect(restored.unstored).toBe(0);
    restored.calm(2 * STEP);
    restored.alarm(alarm(3 * STEP, 0.4));
    // The restored one closed, a new one opened: only the new one is unstored.
    expect(restored.unstored).toBe(1);
    expect(restored.take()).toEqual([
      expect.objectContaining({ start: 0, state: 'closed' }),
      expect.objectContaining({ start: 3 * STEP, state: 'open' }),
    ]);
  });

  describe('hold (its target relearns)', () => {
    /** An episode stored open from 10 to 12 steps (closeAfter 2), then held for a replay up to step 13. */
    function held(): Episodes {
      const e = new Episodes(target, 2);
      e.alarm(alarm(10 * STEP, 0.4));
      e.alarm(alarm(12 * STEP, 0.5));
      e.take();
      e.hold(13 * STEP, STEP);
      expect(e.open).toBeNull();
      expect(e.held).toMatchObject({ anomaly: { start: 10 * STEP, state: 'open' }, until: 14 * STEP });
      return e;
    }

    it('an alarm before it starts is another episode; the held one closes once passed, handed over first', () => {
      const e = held();
      e.alarm(alarm(8 * STEP, 0.6));
      e.alarm(alarm(11 * STEP, 0.6));
      e.reach(14 * STEP);
      expect(e.held).toBeNull();
      expect(e.unstored).toBe(1);
      expect(e.take()).toEqual([
        expect.objectContaining({ start: 10 * STEP, end: 12 * STEP, state: 'closed' }),
        expect.objectContaining({ start: 8 * STEP, end: 11 * STEP, state: 'open' }),
      ]);
    });

    it('a step still abnormal within it continues it too', () => {
      const e = held();
      e.persist(13 * STEP);
      expect(e.held).toBeNull();
      expect(e.unstored).toBe(0);
      expect(e.take()).toEqual([expect.objectContaining({ start: 10 * STEP, end: 13 * STEP, state: 'open' })]);
    });

    it('closing (the target disappeared) closes the held anomaly and the open one', () => {
      const e = held();
      e.alarm(alarm(20 * STEP, 0.6));
      e.close();
      expect(e.take()).toEqual([
        expect.objectContaining({ start: 10 * STEP, state: 'closed' }),
        expect.objectContaining({ start: 20 * STEP, state: 'closed' }),
      ]);
    });

    it('one opened since the last take (never stored nor told of) closes at once rather than being held', () => {
      const e = new Episodes(target, 2);
      e.alarm(alarm(10 * STEP, 0.4));
      e.hold(13 * STEP, STEP);
      expect(e.held).toBeNull();
      expect(e.unstored).toBe(1);
      expect(e.take()).toEqual([expect.objectContaining({ start: 10 * STEP, state: 'closed' })]);
    });
  });
});
