// Issue 17, item 4: automatic actions stay out of maintenance. An Alertmanager silence on the
// target, a time outside the policy's window, or a paused namespace turns `auto` into waiting for
// approval, with the reason; a drain a window's end interrupts resumes in the next window where it
// stopped, without evicting twice. Time only through the FakeClock.

import { SilenceSource } from '../../src/server/healing/silences';
import { healingRoutes } from '../../src/server/http/routes/healing';
import { AUTH, injectingApp } from '../harness/server';
import { startAlertmanager, type AlertmanagerDouble } from '../alertmanager/server';
import { node, pod } from '../kube/objects';
import { anomaly, realWrites, setUp, Setup } from './setup';

let s: Setup;
let am: AlertmanagerDouble | undefined;
afterEach(async () => {
  await s.close();
  await am?.close();
  am = undefined;
});

const now = () => s.clock.now();
const restartAuto = [{ name: 'restart', action: { type: 'restart' as const }, gate: 'auto' as const }];
const iso = (ms: number) => new Date(ms).toISOString();

async function withAlertmanager() {
  am = await startAlertmanager(now);
  // Read lazily: the set-up, and with it the clock, is made after the source.
  const clock = { now, timeout: (ms: number) => s.clock.timeout(ms) };
  const silences = new SilenceSource({ url: am.url, clock, cacheMs: 0 });
  s = await setUp({ policies: restartAuto, limits: { cooldownSeconds: 0 }, silences });
}

describe('Alertmanager silences', () => {
  it('an active silence matching the target turns auto into awaiting approval, with who silenced it', async () => {
    await withAlertmanager();
    const hour = 3_600_000;
    // Not matching: another namespace, one expired, one not started yet, one excluding this deployment.
    am!.addSilence({
      matchers: [{ name: 'namespace', value: 'web' }],
      startsAt: iso(now() - hour),
      endsAt: iso(now() + hour),
      createdBy: 'bob',
      comment: 'web upgrade',
    });
    am!.addSilence({
      matchers: [{ name: 'namespace', value: 'shop' }],
      startsAt: iso(now() - 2 * hour),
      endsAt: iso(now() - hour),
      createdBy: 'bob',
      comment: 'yesterday',
    });
    am!.addSilence({
      matchers: [{ name: 'namespace', value: 'shop' }],
      startsAt: iso(now() + hour),
      endsAt: iso(now() + 2 * hour),
      createdBy: 'bob',
      comment: 'later',
    });
    am!.addSilence({
      matchers: [
        { name: 'namespace', value: 'shop' },
        { name: 'deployment', value: 'cart', isEqual: false },
      ],
      startsAt: iso(now() - hour),
      endsAt: iso(now() + hour),
      createdBy: 'bob',
      comment: 'all but cart',
    });
    const [free] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect((await s.engine.actions.get(free))!.state).toBe('succeeded');

    // A regex silence on the shop namespace and the cart deployment (as kube-state-metrics labels it).
    am!.addSilence({
      matchers: [
        { name: 'namespace', value: 'sh.p|web', isRegex: true },
        { name: 'deployment', value: 'cart' },
      ],
      startsAt: iso(now() - hour),
      endsAt: iso(now() + hour),
      createdBy: 'carol',
      comment: 'shop maintenance',
    });
    await s.clock.sleep(1000);
    const [held] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect(await s.engine.actions.get(held)).toMatchObject({
      state: 'awaiting_approval',
      reason: {
        kind: 'silenced',
        message: expect.stringMatching(
          /^silenced in Alertmanager at http:\/\/127\.0\.0\.1:\d+ by carol until .* \(namespace=~"sh\.p\|web", deployment="cart": shop maintenance\)$/
        ),
      },
    });
    expect(realWrites(s)).toHaveLength(1);
    expect(am!.requests.every((r) => r.method === 'GET' && r.path === '/api/v2/silences')).toBe(true);
  });

  it('when Alertmanager does not answer, automatic actions wait for approval too', async () => {
    await withAlertmanager();
    am!.failWith(503);
    const [id] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'awaiting_approval',
      reason: { kind: 'silenced', message: expect.stringContaining('cannot read the silences') },
    });
    expect(realWrites(s)).toHaveLength(0);
  });

  it('the double refuses what Alertmanager refuses', async () => {
    await withAlertmanager();
    const times = { startsAt: iso(now()), endsAt: iso(now() + 60_000), createdBy: 'x', comment: '' };
    expect(() => am!.addSilence({ matchers: [], ...times })).toThrow('at least one matcher');
    expect(() => am!.addSilence({ matchers: [{ name: 'a', value: '.*', isRegex: true }], ...times })).toThrow(
      'must not match the empty string'
    );
    expect(() => am!.addSilence({ matchers: [{ name: 'a-b', value: 'x' }], ...times })).toThrow('invalid label name');
    // Alertmanager's regexes are Go's (RE2): no lookahead or backreference; (?i) flags are fine.
    expect(() => am!.addSilence({ matchers: [{ name: 'a', value: 'x(?=y)', isRegex: true }], ...times })).toThrow(
      'invalid or unsupported Perl syntax'
    );
    expect(() => am!.addSilence({ matchers: [{ name: 'a', value: '(x)\\1', isRegex: true }], ...times })).toThrow(
      'invalid escape sequence'
    );
    expect(() =>
      am!.addSilence({ matchers: [{ name: 'a', value: '(?i)cart', isRegex: true }], ...times })
    ).not.toThrow();
  });

  it('a silence in RE2 syntax that JavaScript lacks, (?i), matches as Alertmanager matches it', async () => {
    await withAlertmanager();
    am!.addSilence({
      matchers: [{ name: 'deployment', value: '(?i)WEB|API', isRegex: true }],
      startsAt: iso(now() - 60_000),
      endsAt: iso(now() + 3_600_000),
      createdBy: 'dave',
      comment: 'other deployments',
    });
    const [free] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    // cart is not WEB or API, whatever the case: the silence does not hold it.
    expect((await s.engine.actions.get(free))?.state).toBe('succeeded');
    am!.addSilence({
      matchers: [{ name: 'deployment', value: '(?i)CART', isRegex: true }],
      startsAt: iso(now() - 60_000),
      endsAt: iso(now() + 3_600_000),
      createdBy: 'dave',
      comment: 'cart, whatever the case',
    });
    await s.clock.sleep(1000);
    const [held] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect(await s.engine.actions.get(held)).toMatchObject({
      state: 'awaiting_approval',
      reason: { kind: 'silenced', message: expect.stringContaining('by dave') },
    });
  });
});

describe('time windows', () => {
  const weekdays = {
    timeZone: 'Europe/Berlin',
    windows: [
      {
        days: ['mon' as const, 'tue' as const, 'wed' as const, 'thu' as const, 'fri' as const],
        from: '08:00',
        to: '18:00',
      },
    ],
  };

  it('outside the policy window auto waits for approval, inside it runs', async () => {
    s = await setUp({
      policies: [
        {
          ...restartAuto[0],
          autoWindows: { ...weekdays, windows: [{ ...weekdays.windows[0], days: [...weekdays.windows[0].days] }] },
        },
      ],
      limits: { cooldownSeconds: 0 },
    });
    // The clock starts on Sunday 2025-06-01 12:00 UTC.
    const [sunday] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect(await s.engine.actions.get(sunday)).toMatchObject({
      state: 'awaiting_approval',
      reason: {
        kind: 'outside-window',
        message:
          "outside policy restart's window for automatic actions, mon,tue,wed,thu,fri 08:00-18:00 (Europe/Berlin)",
      },
    });
    expect(realWrites(s)).toHaveLength(0);
    await s.engine.reject(sunday, 'alice');
    // Monday 09:00 in Berlin (07:00 UTC).
    s.clock.advance(Date.parse('2025-06-02T07:00:00Z') - now());
    const [monday] = await s.engine.onAnomaly(anomaly());
    await s.engine.idle();
    expect((await s.engine.actions.get(monday))!.state).toBe('succeeded');
  });

  const pausedShop = async (gate: 'auto' | 'approve') => {
    s = await setUp({ policies: [{ name: 'drain', action: { type: 'drain' }, gate }] });
    s.kube.add(
      node('n1'),
      pod({ namespace: 'shop', name: 'cart-1', nodeName: 'n1', ownerKind: 'ReplicaSet' }),
      pod({ namespace: 'web', name: 'front-1', nodeName: 'n1', ownerKind: 'ReplicaSet' })
    );
    await s.engine.pauses.set([{ namespace: 'shop', reason: 'database migration' }], 'admin');
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name: 'n1' } }));
    return id;
  };
  const evicted = () =>
    realWrites(s)
      .filter((r) => r.path.endsWith('/eviction'))
      .map((r) => r.path.split('/')[6]);

  it('an automatic drain leaves the pods of a paused namespace on the node, skipped with the pause', async () => {
    // A drain has no namespace of its own: the pause never held for it, and cart-1 was evicted.
    const id = await pausedShop('auto');
    const [{ at: pausedAt }] = (await s.engine.pauses.list()).pauses;
    expect(pausedAt).toEqual(expect.any(Number));
    await s.engine.idle();
    const action = (await s.engine.actions.get(id))!;
    const skipped = {
      namespace: 'shop',
      name: 'cart-1',
      // Since when as a time of its own, as the other holds: the app says it in the viewer's zone.
      why: 'automatic actions are paused in namespace shop by admin: database migration',
      since: pausedAt,
    };
    expect(action.dryRun!.pods!.skip).toEqual([skipped]);
    expect(action.result!.details).toMatchObject({ skipped: [{ ...skipped, reason: 'namespace' }] });
    expect(action.state).toBe('succeeded');
    expect(evicted()).toEqual(['front-1']);
    expect(s.kube.get('Pod', 'cart-1', 'shop')).toBeDefined();
  });

  it('a drain a person approved evicts them: the pause is for automation', async () => {
    const id = await pausedShop('approve');
    await s.engine.approve(id, 'alice');
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('succeeded');
    expect(evicted().sort()).toEqual(['cart-1', 'front-1']);
  });

  it('a drain interrupted by the window closing resumes in the next window where it stopped, evicting each pod once', async () => {
    s = await setUp({
      policies: [
        {
          name: 'drain',
          action: { type: 'drain' },
          gate: 'auto',
          autoWindows: { timeZone: 'UTC', windows: [{ days: ['mon', 'tue'], from: '08:00', to: '18:00' }] },
        },
      ],
    });
    s.kube.add(
      node('n1'),
      ...[1, 2, 3].map((i) => pod({ namespace: 'shop', name: `cart-${i}`, nodeName: 'n1', ownerKind: 'ReplicaSet' }))
    );
    // Monday 17:59 UTC: inside the window.
    s.clock.advance(Date.parse('2025-06-02T17:59:00Z') - now());
    // The first evicted pod takes a poll to go; meanwhile the window closes.
    s.kube.setPodTerminationReads(1);
    let closed = false;
    s.clock.onSleep = () => {
      if (!closed) {
        closed = true;
        s.clock.advance(2 * 60_000);
      }
    };
    const [id] = await s.engine.onAnomaly(anomaly({ object: { kind: 'node', name: 'n1' } }));
    await s.engine.idle();
    const evictions = () =>
      realWrites(s)
        .filter((r) => r.path.endsWith('/eviction'))
        .map((r) => r.path.split('/')[6]);
    expect(evictions()).toEqual(['cart-1']);
    expect(await s.engine.actions.get(id)).toMatchObject({
      state: 'approved',
      reason: { kind: 'outside-window' },
      progress: { cordonedByDrain: true, evicted: [expect.objectContaining({ name: 'cart-1' })] },
    });
    expect(
      (await s.engine.audit.list({ actionId: id, kind: ['paused'], limit: 5, offset: 0, format: 'json' })).items[0]
        .message
    ).toMatch(/^drain of node n1 paused before evicting shop\/cart-2: outside policy drain's window/);
    expect(s.kube.get('Node', 'n1')!.spec!.unschedulable).toBe(true);

    // Overnight: still outside, still waiting, nothing evicted.
    s.clock.advance(Date.parse('2025-06-03T03:00:00Z') - now());
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('approved');
    expect(evictions()).toEqual(['cart-1']);

    // Tuesday 08:00: the next window. The drain resumes where it stopped.
    s.clock.advance(Date.parse('2025-06-03T08:00:00Z') - now());
    await s.engine.tick();
    await s.engine.idle();
    expect((await s.engine.actions.get(id))!.state).toBe('succeeded');
    expect(evictions()).toEqual(['cart-1', 'cart-2', 'cart-3']);
    expect((await s.engine.actions.get(id))!.result!.summary).toBe('node n1 drained: 3 pod(s) evicted, 0 skipped');
    expect(s.kube.list('Pod').filter((p) => p.spec?.nodeName === 'n1')).toEqual([]);
  });
});

it('a namespace paused by an Admin turns auto into awaiting approval until resumed', async () => {
  s = await setUp({ policies: restartAuto, limits: { cooldownSeconds: 0 } });
  const pausedAt = s.clock.now();
  await s.engine.pauses.set([{ namespace: 'shop', reason: 'migration' }], 'admin');
  s.clock.advance(60_000);
  const [paused] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  // Since when, as a time of its own: the app says it in the viewer's zone; the audit, a log, in UTC.
  expect(await s.engine.actions.get(paused)).toMatchObject({
    state: 'awaiting_approval',
    reason: {
      kind: 'namespace-paused',
      message: 'automatic actions are paused in namespace shop by admin: migration',
      since: pausedAt,
    },
  });
  expect(
    (await s.engine.audit.list({ kind: ['waiting'], limit: 5, offset: 0, format: 'json' })).items.map((e) => e.message)
  ).toEqual([
    `gate auto waits for approval: automatic actions are paused in namespace shop by admin: migration (since ${new Date(pausedAt).toISOString()})`,
  ]);
  await s.engine.reject(paused, 'alice');
  await s.engine.pauses.set([], 'admin');
  expect(
    (await s.engine.audit.list({ kind: ['namespaces_paused'], limit: 5, offset: 0, format: 'json' })).items.map(
      (e) => e.message
    )
  ).toEqual(['admin resumed them in shop', 'admin paused automatic actions in shop']);
  const [resumed] = await s.engine.onAnomaly(anomaly());
  await s.engine.idle();
  expect((await s.engine.actions.get(resumed))!.state).toBe('succeeded');
});

it('namespace pauses through the API: read by anyone, replaced by an Admin, bad input refused', async () => {
  s = await setUp();
  const app = await injectingApp(s, healingRoutes(s.engine));
  try {
    const call = (method: 'GET' | 'PUT', url: string, body?: unknown) =>
      app.inject({ method, url, payload: body as object, headers: { ...AUTH, 'x-grafana-user': 'admin' } });
    expect((await call('GET', '/api/namespace-pauses')).json()).toEqual({ pauses: [] });
    const saved = await call('PUT', '/api/admin/namespace-pauses', {
      pauses: [{ namespace: 'shop', reason: 'migration' }],
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toEqual({
      pauses: [{ namespace: 'shop', reason: 'migration', by: 'admin', at: now() }],
    });
    expect((await call('GET', '/api/namespace-pauses')).json().pauses).toHaveLength(1);
    const twice = await call('PUT', '/api/admin/namespace-pauses', {
      pauses: [{ namespace: 'shop' }, { namespace: 'shop' }],
    });
    expect(twice.statusCode).toBe(400);
    expect((await call('GET', '/api/namespace-pauses')).json().pauses).toHaveLength(1);
  } finally {
    await app.close();
  }
});
