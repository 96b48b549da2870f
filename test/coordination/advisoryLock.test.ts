import pg from 'pg';
import { AdvisoryLockElector } from '../../src/server/coordination/advisoryLock';
import { startPostgres, TEST_USER, type RunningPostgres } from '../harness/postgres';
import { freePort } from '../harness/prometheus';

// The no-Kubernetes elector against a real PostgreSQL: the lock lives as long as the session.
let server: RunningPostgres;
let url: string;
const electors: AdvisoryLockElector[] = [];
let now = 0;

beforeAll(async () => {
  server = await startPostgres();
  url = await server.createDatabase('leader');
}, 120_000);

afterEach(async () => {
  for (const e of electors.splice(0)) {
    await e.release();
  }
});

afterAll(async () => {
  await server?.stop();
}, 120_000);

function elector(identity: string, releaseAfterMs = 60_000) {
  const e = new AdvisoryLockElector({ url, identity, staleAfterMs: 15_000, releaseAfterMs, now: () => now });
  electors.push(e);
  return e;
}

/** Ends the elector's session from another one, as a crash or a server restart would, and waits until it noticed. */
async function endSession(e: AdvisoryLockElector): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const lost = new Promise<void>((resolve) => {
      const wait = setInterval(() => e.lastError() && (clearInterval(wait), resolve()), 5);
    });
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [
      `failureprophet-leader:${e.identity}`,
    ]);
    await lost;
  } finally {
    await admin.end();
  }
}

describe('PostgreSQL advisory-lock elector', () => {
  it('makes one of two replicas leader and names it to the other', async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    expect(await a.campaign()).toBe(true);
    expect(await b.campaign()).toBe(false);
    expect(await a.campaign()).toBe(true);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    expect(b.lastError()).toMatch(/^pod-a holds the leader lock on PostgreSQL at 127\.0\.0\.1:\d+\/leader$/);
  }, 60_000);

  it('hands over at once on release', async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    await a.campaign();
    const releasing = a.release();
    // No longer leading from the moment the unlock is on its way, not once it was answered.
    expect(a.isLeader()).toBe(false);
    await releasing;
    expect(a.isLeader()).toBe(false);
    expect(await b.campaign()).toBe(true);
  }, 60_000);

  it("passes to the other replica when the leader's session ends (a crash), and the old leader knows it lost", async () => {
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    await a.campaign();
    await endSession(a);
    expect(a.isLeader()).toBe(false);
    expect(await b.campaign()).toBe(true);
    expect(await a.campaign()).toBe(false);
    expect(a.lastError()).toMatch(/^pod-b holds the leader lock/);
  }, 60_000);

  it('gives the lock up on the server when the leader stops checking (a stall, a cut), so another replica takes over', async () => {
    // PostgreSQL's own idle_session_timeout ends the silent session: no keepalive hours later.
    const [a, b] = [elector('pod-a', 500), elector('pod-b')];
    expect(await a.campaign()).toBe(true);
    expect(await b.campaign()).toBe(false);
    await new Promise<void>((resolve) => {
      const wait = setInterval(() => a.lastError() && (clearInterval(wait), resolve()), 5);
    });
    expect(a.isLeader()).toBe(false);
    expect(a.lastError()).toMatch(
      /^lost the connection to PostgreSQL: terminating connection due to idle-session timeout/
    );
    expect(await b.campaign()).toBe(true);
  }, 60_000);

  it('stops acting as leader when it has not confirmed the lock for staleAfterMs', async () => {
    const a = elector('pod-a');
    await a.campaign();
    now += 14_999;
    expect(a.isLeader()).toBe(true);
    now += 1;
    expect(a.isLeader()).toBe(false);
    expect(await a.campaign()).toBe(true);
    expect(a.isLeader()).toBe(true);
  }, 60_000);

  it('says its lead began anew after a lapse or a lost session, though nobody asked whether it led between', async () => {
    const a = elector('pod-a');
    const start = now;
    await a.campaign();
    now += 5_000;
    await a.campaign();
    expect(a.leadingSince()).toBe(start);
    now += 16_000;
    await a.campaign();
    expect(a.leadingSince()).toBe(start + 21_000);
    // The session ends and the lock is taken again a second later, well within the renew deadline.
    await endSession(a);
    now += 1_000;
    expect(await a.campaign()).toBe(true);
    expect(a.leadingSince()).toBe(start + 22_000);
  }, 60_000);

  it('cannot tell who leads when PostgreSQL does not answer, and says so; a follower that knows the leader can', async () => {
    const port = await freePort();
    const down = new AdvisoryLockElector({
      url: `postgres://${TEST_USER}@127.0.0.1:${port}/leader`,
      identity: 'pod-a',
      staleAfterMs: 15_000,
      releaseAfterMs: 60_000,
      now: () => now,
    });
    electors.push(down);
    expect(down.undetermined()).toBe('no round yet');
    expect(await down.campaign()).toBe(false);
    expect(down.undetermined()).toBe('PostgreSQL does not answer');
    expect(down.lastError()).toMatch(
      new RegExp(`^lost the connection to PostgreSQL at 127\\.0\\.0\\.1:${port}/leader: `)
    );
    // A follower that knows who leads is determined.
    const [a, b] = [elector('pod-a'), elector('pod-b')];
    await a.campaign();
    await b.campaign();
    expect([a.undetermined(), b.undetermined()]).toEqual([undefined, undefined]);
  }, 60_000);
});
