import { FakeClock } from './harness';

describe('FakeClock (the Clock tests move by hand)', () => {
  it('fires timers and timeouts in time order as it is advanced, a repeating one as often as its period fits', () => {
    const clock = new FakeClock('2025-06-01T00:00:00.000Z');
    const start = clock.now();
    const fired: string[] = [];
    const stopEvery = clock.every(1000, () => fired.push(`every@${clock.now() - start}`));
    clock.after(2500, () => fired.push(`after@${clock.now() - start}`));
    const signal = clock.timeout(1500);
    signal.addEventListener('abort', () => fired.push(`timeout@${clock.now() - start}`));
    clock.advance(999);
    expect(fired).toEqual([]);
    expect(signal.aborted).toBe(false);
    clock.advance(2001);
    expect(fired).toEqual(['every@1000', 'timeout@1500', 'every@2000', 'after@2500', 'every@3000']);
    expect(signal.reason).toMatchObject({ name: 'TimeoutError' });
    stopEvery();
    clock.advance(10_000);
    expect(fired).toHaveLength(5);
    expect(clock.now() - start).toBe(13_000);
    expect(clock.pending()).toBe(0);
  });

  it('a timer cancelled before it is due never fires; sleeping moves time and fires what falls due', async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    const cancel = clock.after(100, () => fired.push(1));
    clock.after(200, () => fired.push(2));
    cancel();
    await clock.sleep(250);
    expect(fired).toEqual([2]);
    expect(clock.sleeps).toEqual([250]);
  });
});
