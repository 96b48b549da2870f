import { AdvisoryLockElector } from './advisoryLock';

// What the lock query answers; a real PostgreSQL's lock answers are in test/coordination/advisoryLock.test.ts.
let answer: unknown[] = [];

// The driver, answering the lock query with `answer` and the holder query with no row.
jest.mock('pg', () => ({
  __esModule: true,
  default: {
    Client: class {
      on() {}
      async connect() {}
      async end() {}
      async query(sql: string) {
        return { rows: sql.includes('pg_try_advisory_lock') ? answer : [] };
      }
    },
  },
}));

const elector = () =>
  new AdvisoryLockElector({
    url: 'postgres://db:5432/fp',
    identity: 'pod-a',
    staleAfterMs: 15_000,
    releaseAfterMs: 60_000,
    now: () => 0,
  });

describe('advisory-lock elector, reading the lock answer', () => {
  it('leads on a boolean true and follows on false', async () => {
    answer = [{ locked: true }];
    expect(await elector().campaign()).toBe(true);
    answer = [{ locked: false }];
    const follower = elector();
    expect(await follower.campaign()).toBe(false);
    expect(follower.lastError()).toBe('another session holds the leader lock on PostgreSQL at db:5432/fp');
  });

  it('does not take an answer that is not a boolean for the lock, and says what it got', async () => {
    // A proxy or driver that hands the boolean back as text: 'f' is truthy.
    answer = [{ locked: 'f' }];
    const e = elector();
    expect(await e.campaign()).toBe(false);
    expect(e.isLeader()).toBe(false);
    expect(e.lastError()).toMatch(
      /^PostgreSQL at db:5432\/fp answered what this backend cannot read: pg_try_advisory_lock row is invalid at locked: /
    );
  });
});
