import type { Clock } from '../clock';
import { FixedMembership, LiveSet, TargetShare, type Membership } from './members';
import { ownerOf } from './partition';

class ListedMembership implements Membership {
  readonly set = new LiveSet();
  constructor(readonly identity: string) {}
  async heartbeat(): Promise<void> {}
  live = () => this.set.current;
  lastError = () => undefined;
  async leave(): Promise<void> {}
}

const clockAt = (ref: { ms: number }) => ({ now: () => ref.ms }) as Clock;
const ids = Array.from({ length: 200 }, (_, i) => `w/pod-${i}`);

describe('TargetShare', () => {
  it('gives a target up at once when another member owns it, and takes one up only once the set has held', () => {
    const time = { ms: 0 };
    const a = new ListedMembership('a');
    const share = new TargetShare(a, clockAt(time), 10_000);
    a.set.set(['a', 'b']);
    // A set first read counts only once it has held (this replica may be the one joining).
    expect(ids.filter(share.owns)).toEqual([]);
    time.ms = 10_000;
    const mine = ids.filter((id) => ownerOf(id, ['a', 'b']) === 'a');
    expect(ids.filter(share.owns)).toEqual(mine);
    // c joins: what moves to c is given up at once.
    a.set.set(['a', 'b', 'c']);
    expect(ids.filter(share.owns)).toEqual(ids.filter((id) => ownerOf(id, ['a', 'b', 'c']) === 'a'));
    time.ms = 20_000;
    // b dies: its targets come to a only after the new set held for 10 s.
    a.set.set(['a', 'c']);
    const withoutB = ids.filter((id) => ownerOf(id, ['a', 'c']) === 'a');
    expect(ids.filter(share.owns)).toEqual(ids.filter((id) => ownerOf(id, ['a', 'b', 'c']) === 'a'));
    time.ms = 29_999;
    expect(ids.filter(share.owns)).toHaveLength(ids.filter((id) => ownerOf(id, ['a', 'b', 'c']) === 'a').length);
    time.ms = 30_000;
    expect(ids.filter(share.owns)).toEqual(withoutB);
    expect(withoutB.length).toBeGreaterThan(mine.length / 2);
  });

  it('owns nothing while its own announcement has lapsed (an empty live set)', () => {
    const time = { ms: 0 };
    const a = new ListedMembership('a');
    const share = new TargetShare(a, clockAt(time), 0);
    a.set.set(['a']);
    expect(ids.every(share.owns)).toBe(true);
    a.set.set([]);
    expect(ids.some(share.owns)).toBe(false);
  });

  it('leaves a single process alone with everything', () => {
    const solo = new FixedMembership('only');
    const share = new TargetShare(solo, clockAt({ ms: 5 }), 0);
    expect(ids.every(share.owns)).toBe(true);
  });
});
