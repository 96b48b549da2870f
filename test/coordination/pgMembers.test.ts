import pg from 'pg';
import { PgMembership } from '../../src/server/coordination/pgMembers';
import { migratePostgres, postgresMigrations } from '../../src/server/store/postgres';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// Membership on a real PostgreSQL: heartbeat rows whose expiry is the database's clock. Replica
// clocks are injected and deliberately disagree; the database's time is never waited for: a row is
// expired by moving its expires_at, as the passing of the lease would.
let server: RunningPostgres;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startPostgres();
  pool = new pg.Pool({ connectionString: await server.createDatabase('members'), max: 2 });
  await migratePostgres(pool, postgresMigrations);
}, 120_000);

afterAll(async () => {
  await pool?.end();
  await server?.stop();
}, 120_000);

beforeEach(() => pool.query('DELETE FROM coordination_members'));

function member(identity: string, now: () => number, group = 'failureprophet') {
  return new PgMembership({ pool, group, identity, leaseDurationSeconds: 15, now });
}

const expire = (identity: string) =>
  pool.query(`UPDATE coordination_members SET expires_at = now() - interval '1 second' WHERE identity = $1`, [
    identity,
  ]);

describe('PostgreSQL membership (heartbeat rows, the database clock)', () => {
  it('lists every replica of its group that renewed, whatever the replicas’ own clocks say', async () => {
    const a = member('pod-a', () => 0);
    // pod-b's clock is an hour ahead: the database, not it, decides that pod-a is live.
    const b = member('pod-b', () => 3_600_000);
    const other = member('pod-x', () => 0, 'another-deployment');
    await a.heartbeat();
    await other.heartbeat();
    await b.heartbeat();
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a', 'pod-b']);
    expect(b.live()).toEqual(['pod-a', 'pod-b']);
    expect(other.live()).toEqual(['pod-x']);
    expect(a.lastError()).toBeUndefined();
  }, 60_000);

  it('drops a member whose row expired by the database clock, and deletes it on leave', async () => {
    const [a, b] = [member('pod-a', () => 0), member('pod-b', () => 0)];
    await a.heartbeat();
    await b.heartbeat();
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a', 'pod-b']);
    await expire('pod-b');
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a']);
    await b.heartbeat();
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a', 'pod-b']);
    await b.leave();
    expect(b.live()).toEqual([]);
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a']);
    const { rows } = await pool.query('SELECT identity FROM coordination_members ORDER BY identity');
    expect(rows).toEqual([{ identity: 'pod-a' }]);
  }, 60_000);

  it('counts itself out when it cannot renew for a whole lease, by its own clock, and says why', async () => {
    let now = 0;
    const a = member('pod-a', () => now);
    await a.heartbeat();
    expect(a.live()).toEqual(['pod-a']);
    const nowhere = new pg.Pool({ connectionString: 'postgres://fp@127.0.0.1:1/none', connectionTimeoutMillis: 1000 });
    const broken = new PgMembership({
      pool: nowhere,
      group: 'failureprophet',
      identity: 'pod-a',
      leaseDurationSeconds: 15,
      now: () => now,
    });
    try {
      await broken.heartbeat();
    } finally {
      await nowhere.end();
    }
    expect(broken.live()).toEqual([]);
    expect(broken.lastError()).toMatch(/^could not renew membership on PostgreSQL: /);
    now = 15_000;
    expect(a.live()).toEqual([]);
  }, 60_000);
});
