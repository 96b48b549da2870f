import fc from 'fast-check';
import { ownerOf } from './partition';

const ids = (n: number, salt: string) => Array.from({ length: n }, (_, i) => `${salt}/pod-${i}`);
const memberNames = (n: number) =>
  fc.uniqueArray(fc.string({ minLength: 1, maxLength: 30 }), { minLength: n, maxLength: n });

function shares(targets: string[], members: string[]): Map<string, number> {
  const counts = new Map(members.map((m) => [m, 0]));
  for (const t of targets) {
    const owner = ownerOf(t, members)!;
    counts.set(owner, counts.get(owner)! + 1);
  }
  return counts;
}

describe('rendezvous partition', () => {
  it('gives every id exactly one owner, one of the members, whatever the order of the list', () => {
    fc.assert(
      fc.property(fc.string(), memberNames(3), (id, members) => {
        const owner = ownerOf(id, members);
        expect(members).toContain(owner);
        expect(ownerOf(id, [...members].reverse())).toBe(owner);
      })
    );
    expect(ownerOf('any', [])).toBeUndefined();
  });

  it('balances 10,000 ids over 2 to 5 members within 3 points of an equal share', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }).chain(memberNames), fc.string(), (members, salt) => {
        const counts = shares(ids(10_000, salt), members);
        for (const n of counts.values()) {
          expect(Math.abs(n / 10_000 - 1 / members.length)).toBeLessThan(0.03);
        }
      }),
      { numRuns: 15 }
    );
  });

  it('moves only the leaving member’s ids when one leaves, each to a live member', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }).chain(memberNames), fc.nat(), (members, pick) => {
        const gone = members[pick % members.length];
        const rest = members.filter((m) => m !== gone);
        for (const id of ids(2_000, 'leave')) {
          const before = ownerOf(id, members);
          const after = ownerOf(id, rest);
          expect(after === before || before === gone).toBe(true);
        }
      }),
      { numRuns: 15 }
    );
  });

  it('moves about 1/N of the ids, all to the newcomer, when an N-th member joins', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 6 }).chain(memberNames), (all) => {
        const [joining, ...before] = all;
        let moved = 0;
        const targets = ids(10_000, 'join');
        for (const id of targets) {
          const old = ownerOf(id, before);
          const now = ownerOf(id, all);
          if (now !== old) {
            expect(now).toBe(joining);
            moved++;
          }
        }
        expect(Math.abs(moved / targets.length - 1 / all.length)).toBeLessThan(0.03);
      }),
      { numRuns: 10 }
    );
  });
});
