import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { configSchema } from '../config/schema';
import { createLogger } from '../logger';
import { systemClock } from '../clock';
import { buildLeadership } from './leadership';

/** The JSON log lines written while building. */
function build(raw: Record<string, unknown>) {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((l: string) => JSON.parse(l))
      );
      done();
    },
  });
  const metrics = new Registry();
  // Nothing here campaigns: the clock is never asked to wait.
  const leadership = buildLeadership({
    config: configSchema.parse(raw),
    clock: systemClock,
    logger: createLogger('info', stream),
    metrics,
  });
  return { leadership, lines, metrics };
}

describe('buildLeadership', () => {
  it('with neither Kubernetes nor PostgreSQL: one replica that always leads, said once with what to set for replicas', async () => {
    const { leadership, lines, metrics } = build({ coordination: { identity: 'laptop' } });
    expect(leadership.role()).toBe('single');
    expect(leadership.isLeader()).toBe(true);
    expect(leadership.undetermined()).toBeUndefined();
    expect(lines.map((l) => l.msg)).toEqual([
      'single replica: this one always leads; to run replicas, give them one PostgreSQL (FP_DATABASE_URL) and, in Kubernetes, a Lease (deploy/rbac.yaml)',
    ]);
    expect((await metrics.getSingleMetric('failureprophet_leader')!.get()).values).toEqual([
      { labels: { identity: 'laptop' }, value: 1 },
    ]);
  });

  it('with store.url and no Kubernetes: the PostgreSQL advisory lock, following until its first round', () => {
    const { leadership, lines } = build({
      store: { url: 'postgres://fp:s3cret@db.internal:5432/failureprophet' },
      coordination: { identity: 'pod-a' },
    });
    expect(leadership.role()).toBe('follower');
    expect(leadership.undetermined()).toBe('no round yet');
    expect(lines.map((l) => l.msg)).toEqual(['leader election on a PostgreSQL advisory lock as pod-a']);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('with Kubernetes (and store.url): the Lease, in the configured namespace, else the context namespace or default', () => {
    const kubernetes = { mode: 'endpoint', url: 'https://10.0.0.1:6443', token: 't' };
    const named = build({
      kubernetes,
      store: { url: 'postgres://fp@db:5432/failureprophet' },
      coordination: { identity: 'pod-a', leaseNamespace: 'ops', leaseName: 'fp-leader' },
    });
    expect(named.leadership.role()).toBe('follower');
    expect(named.lines.map((l) => l.msg)).toEqual(['leader election on Lease ops/fp-leader as pod-a']);
    const unnamed = build({ kubernetes, coordination: { identity: 'pod-a' } });
    expect(unnamed.lines.map((l) => l.msg)).toEqual([
      'leader election on Lease default/failureprophet-leader as pod-a',
    ]);
  });

  it('refuses a renew interval that is not shorter than the lease duration, and a fractional duration', () => {
    expect(() => configSchema.parse({ coordination: { leaseDuration: '10s', renewInterval: '10s' } })).toThrow(
      /must be shorter than coordination.leaseDuration/
    );
    expect(() => configSchema.parse({ coordination: { leaseDuration: 1500 } })).toThrow(/whole seconds/);
  });

  it('stops a leader that cannot renew halfway between the renew interval and the lease, unless told; never at or past the lease', () => {
    expect(configSchema.parse({}).coordination).toMatchObject({
      leaseDuration: 15_000,
      renewInterval: 5_000,
      renewDeadline: 10_000,
    });
    expect(
      configSchema.parse({ coordination: { leaseDuration: '3s', renewInterval: '1s' } }).coordination.renewDeadline
    ).toBe(2_000);
    expect(configSchema.parse({ coordination: { renewDeadline: '12s' } }).coordination.renewDeadline).toBe(12_000);
    expect(() => configSchema.parse({ coordination: { renewDeadline: '15s' } })).toThrow(
      /shorter than coordination.leaseDuration \(or two replicas act at once\)/
    );
    expect(() => configSchema.parse({ coordination: { renewDeadline: '5s' } })).toThrow(
      /must be longer than coordination.renewInterval/
    );
  });
});
