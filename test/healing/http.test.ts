import type { Action, AlertmanagerWebhook } from '../../src/contract/healing';
import { healingRoutes } from '../../src/server/http/routes/healing';
import type { App } from '../../src/server/http/server';
import { pod } from '../kube/objects';
import { AUTH, injectingApp } from '../harness/server';
import { anomaly, realWrites, setUp, Setup } from './setup';

let s: Setup;
let app: App;

async function start(options: Parameters<typeof setUp>[0] = {}) {
  s = await setUp(options);
  app = await injectingApp(s, healingRoutes(s.engine));
}
afterEach(async () => {
  await app.close();
  await s.close();
});

const call = (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown, user?: string) =>
  app.inject({
    method,
    url,
    payload: body as object,
    headers: { ...AUTH, ...(user ? { 'x-grafana-user': user } : {}) },
  });

describe('actions API', () => {
  beforeEach(() => start());

  it('lists by state with paging', async () => {
    for (let i = 0; i < 3; i++) {
      await s.engine.onAnomaly(anomaly({ severity: i === 2 ? 'high' : 'critical' }));
    }
    const page = await call('GET', '/api/actions?state=awaiting_approval,blocked&limit=2&offset=0');
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ total: 3, items: [{ id: 3 }, { id: 2 }] });
    expect((await call('GET', '/api/actions?state=awaiting_approval')).json().total).toBe(2);
    const bad = await call('GET', '/api/actions?state=pending');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('querystring.state.0');
    // The next page by its cursor; a deep offset (each skipped row read) is refused, naming the cursor.
    const next = await call('GET', `/api/actions?state=awaiting_approval,blocked&limit=2&cursor=${page.json().next}`);
    expect(next.json()).toMatchObject({ total: 3, items: [{ id: 1 }], next: null, previous: 'n1' });
    for (const path of ['/api/actions', '/api/audit']) {
      const deep = await call('GET', `${path}?offset=1001`);
      expect(deep.statusCode).toBe(400);
      expect(deep.json()).toMatchObject({ field: 'querystring.offset', message: expect.stringMatching(/cursor/) });
      expect((await call('GET', `${path}?offset=1000`)).statusCode).toBe(200);
      const made = await call('GET', `${path}?cursor=eyJpZCI6M30`);
      expect(made.statusCode).toBe(400);
      expect(made.json()).toMatchObject({ field: 'querystring.cursor' });
    }
  });

  it('records the Grafana user it receives with the approval, and the comment', async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    const res = await call(
      'POST',
      `/api/actions/${id}/approve`,
      { comment: 'checked the dashboard' },
      'jane.doe@example.com'
    );
    expect(res.statusCode).toBe(200);
    expect((res.json() as Action).decisions).toEqual([
      { decision: 'approved', user: 'jane.doe@example.com', comment: 'checked the dashboard', at: expect.any(Number) },
    ]);
    await s.engine.idle();
    const audit = (await call('GET', `/api/audit?actionId=${id}&kind=approved`)).json();
    expect(audit.items).toEqual([
      expect.objectContaining({
        kind: 'approved',
        user: 'jane.doe@example.com',
        comment: 'checked the dashboard',
        actionId: id,
      }),
    ]);
    expect((await call('GET', `/api/actions/${id}`)).json().state).toBe('succeeded');
  });

  it('rejects with a comment; unknown ids are 404, decided ones 409', async () => {
    const [id] = await s.engine.onAnomaly(anomaly());
    expect((await call('POST', `/api/actions/${id}/reject`, { comment: 'false alarm' }, 'bob')).json()).toMatchObject({
      state: 'rejected',
      decisions: [{ user: 'bob', comment: 'false alarm' }],
    });
    const again = await call('POST', `/api/actions/${id}/approve`, {}, 'alice');
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/is rejected \(rejected by bob/);
    expect((await call('POST', '/api/actions/999/approve', {})).statusCode).toBe(404);
    expect((await call('POST', `/api/actions/${id}/approve`, { comment: 42 })).json().field).toBe('body.comment');
  });

  it('takes a rejection or an approval sent without any body', async () => {
    const [rejected] = await s.engine.onAnomaly(anomaly());
    const rejection = await call('POST', `/api/actions/${rejected}/reject`, undefined, 'bob');
    expect(rejection.statusCode).toBe(200);
    expect(rejection.json().decisions).toEqual([{ decision: 'rejected', user: 'bob', at: expect.any(Number) }]);
    const [approved] = await s.engine.onAnomaly(anomaly());
    const approval = await call('POST', `/api/actions/${approved}/approve`, undefined, 'alice');
    expect(approval.statusCode).toBe(200);
    expect(approval.json().decisions).toEqual([{ decision: 'approved', user: 'alice', at: expect.any(Number) }]);
    // A body that is there must still be a mapping.
    const nothing = await app.inject({
      method: 'POST',
      url: `/api/actions/${approved}/approve`,
      payload: 'null',
      headers: { ...AUTH, 'content-type': 'application/json' },
    });
    expect(nothing.statusCode).toBe(400);
    expect(nothing.json().field).toBe('body');
  });

  it('takes a rejection or an approval sent as JSON with an empty body (Content-Length: 0), as fetch sends one', async () => {
    // As fetch sends it over HTTP: a POST with a JSON Content-Type and no body goes with Content-Length: 0.
    const [rejected] = await s.engine.onAnomaly(anomaly());
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const rejection = await fetch(`${base}/api/actions/${rejected}/reject`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json', 'x-grafana-user': 'bob' },
    });
    expect(rejection.status).toBe(200);
    expect((await rejection.json()).decisions).toEqual([{ decision: 'rejected', user: 'bob', at: expect.any(Number) }]);
    const [approved] = await s.engine.onAnomaly(anomaly());
    const approval = await app.inject({
      method: 'POST',
      url: `/api/actions/${approved}/approve`,
      payload: '',
      headers: {
        ...AUTH,
        'x-grafana-user': 'alice',
        'content-type': 'application/json; charset=utf-8',
        'content-length': '0',
      },
    });
    expect(approval.statusCode).toBe(200);
    expect(approval.json().decisions).toEqual([{ decision: 'approved', user: 'alice', at: expect.any(Number) }]);
    // A body that is there is parsed as before: malformed JSON (or only spaces) and JSON null are refused.
    const [pending] = await s.engine.onAnomaly(anomaly());
    const there = (payload: string) =>
      app.inject({
        method: 'POST',
        url: `/api/actions/${pending}/approve`,
        payload,
        headers: { ...AUTH, 'content-type': 'application/json' },
      });
    for (const payload of ['{', '  ']) {
      const malformed = await there(payload);
      expect(malformed.statusCode).toBe(400);
      expect(malformed.json().error).toBe('fst_err_ctp_invalid_json_body');
    }
    const nothing = await there('null');
    expect(nothing.statusCode).toBe(400);
    expect(nothing.json().field).toBe('body');
    expect((await s.engine.actions.get(pending))!.decisions).toEqual([]);
  });

  it('without the bearer token nothing answers', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/actions' });
    expect(res.statusCode).toBe(401);
  });
});

it('50 simultaneous approvals over HTTP execute the action once', async () => {
  await start();
  const [id] = await s.engine.onAnomaly(anomaly());
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      fetch(`${base}/api/actions/${id}/approve`, {
        method: 'POST',
        headers: {
          ...AUTH,
          'content-type': 'application/json',
          'x-grafana-user': `editor-${i}`,
        },
        body: JSON.stringify({ comment: `approval ${i}` }),
      })
    )
  );
  await s.engine.idle();
  const codes = responses.map((r) => r.status).sort();
  expect(codes.filter((c) => c === 200)).toHaveLength(1);
  expect(codes.filter((c) => c === 409)).toHaveLength(49);
  expect(realWrites(s)).toHaveLength(1);
  expect(s.kube.get('Deployment', 'cart', 'shop')!.spec!.replicas).toBe(4);
  const action = (await s.engine.actions.get(id))!;
  expect(action.state).toBe('succeeded');
  expect(action.decisions).toHaveLength(1);
  expect(
    (
      await s.engine.audit.list({
        actionId: id,
        kind: ['approved', 'executing'],
        limit: 100,
        offset: 0,
        format: 'json',
      })
    ).total
  ).toBe(2);
});

it('/metrics counts actions by type and state, and shows pending approvals and the kill switch', async () => {
  await start();
  const [id] = await s.engine.onAnomaly(anomaly());
  await s.engine.onAnomaly(
    anomaly({ severity: 'high', object: { kind: 'deployment', namespace: 'shop', name: 'cart' } })
  );
  await s.engine.approve(id, 'alice');
  await s.engine.idle();
  await s.engine.settings.setKillSwitch(true, 'admin');
  const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  expect(text).toContain('failureprophet_actions_total{action="scale",state="proposed"} 1');
  expect(text).toContain('failureprophet_actions_total{action="scale",state="succeeded"} 1');
  expect(text).toContain('failureprophet_actions_total{action="restart",state="awaiting_approval"} 1');
  expect(text).toContain('failureprophet_actions_awaiting_approval 1');
  expect(text).toContain('failureprophet_kill_switch_engaged 1');
  expect(text).toMatch(/failureprophet_action_duration_seconds_count\{action="scale",outcome="succeeded"\} 1/);
});

describe('admin and settings', () => {
  beforeEach(() => start());

  it('kill switch: set by an admin, read by anyone, audited with who and why', async () => {
    expect((await call('GET', '/api/kill-switch')).json()).toEqual({ engaged: false });
    const set = await call('PUT', '/api/admin/kill-switch', { engaged: true, reason: 'maintenance' }, 'admin');
    expect(set.json()).toMatchObject({ engaged: true, reason: 'maintenance', changedBy: 'admin' });
    expect((await call('GET', '/api/kill-switch')).json().engaged).toBe(true);
    expect((await call('GET', '/api/audit?kind=kill_switch')).json().items[0]).toMatchObject({
      user: 'admin',
      comment: 'maintenance',
    });
    expect((await call('PUT', '/api/admin/kill-switch', { engaged: 'yes' })).json().field).toBe('body.engaged');
  });

  it('policies: defaults until an admin saves some, then the store wins', async () => {
    expect((await call('GET', '/api/policies')).json()).toMatchObject({
      source: 'default',
      policies: [{ name: 'critical-scale-out' }, { name: 'high-rolling-restart' }, { name: 'medium-notify' }],
    });
    const policies = [
      { name: 'restart-on-crash', match: { failureModels: ['crash'] }, action: { type: 'restart' }, gate: 'auto' },
    ];
    const saved = await call('PUT', '/api/admin/policies', { policies }, 'admin');
    expect(saved.statusCode).toBe(200);
    expect(saved.json()).toMatchObject({
      source: 'store',
      updatedBy: 'admin',
      policies: [{ name: 'restart-on-crash', enabled: true }],
    });
    const bad = await call('PUT', '/api/admin/policies', { policies: [{ name: 'x', action: { type: 'explode' } }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().field).toBe('body.policies.0.action.type');
    const [id] = await s.engine.onAnomaly(anomaly({ failureModel: 'crash', severity: 'low' }));
    await s.engine.idle();
    expect(await s.engine.actions.get(id)).toMatchObject({ policy: 'restart-on-crash', state: 'succeeded' });
  });

  it('safety limits are saved in the store', async () => {
    const res = await call(
      'PUT',
      '/api/admin/safety-limits',
      { maxActionsPerHour: 3, namespaces: { allow: ['*'], deny: [] } },
      'admin'
    );
    expect(res.json()).toMatchObject({
      source: 'store',
      limits: { maxActionsPerHour: 3, cooldownSeconds: 900, namespaces: { deny: [] } },
    });
    expect((await call('GET', '/api/safety-limits')).json().limits.maxActionsPerHour).toBe(3);
  });

  it('answers in words whether Kubernetes accepts a server-side dry run', async () => {
    const ok = await call('POST', '/api/admin/test/kubernetes', {
      action: { type: 'scale', target: { kind: 'deployment', namespace: 'shop', name: 'cart' }, delta: 1, ceiling: 5 },
    });
    expect(ok.json()).toEqual({
      ok: true,
      message: expect.stringMatching(
        /accepts a server-side dry run: would scale deployment shop\/cart: replicas 3 → 4/
      ),
    });
    s.kube.inject({ method: 'PATCH', path: /\/scale$/, status: 403 });
    const refused = await call('POST', '/api/admin/test/kubernetes', {
      action: { type: 'scale', target: { kind: 'deployment', namespace: 'shop', name: 'cart' }, delta: 1, ceiling: 5 },
    });
    expect(refused.json()).toEqual({
      ok: false,
      message: expect.stringMatching(
        /refused the dry run: Kubernetes refused: the service account .* cannot patch deployments\/scale/
      ),
    });
    expect((await call('POST', '/api/admin/test/kubernetes', {})).json().ok).toBe(true);
    expect((await call('POST', '/api/admin/test/kubernetes')).json().ok).toBe(true);
    expect(realWrites(s)).toHaveLength(0);
  });

  it('testing a delete pinned to a pod uid deletes nothing', async () => {
    s.kube.add(pod({ namespace: 'shop', name: 'cart-1', ownerKind: 'ReplicaSet' }));
    const uid = s.kube.get('Pod', 'cart-1', 'shop')!.metadata.uid;
    const tested = await call('POST', '/api/admin/test/kubernetes', {
      action: { type: 'delete-pod', namespace: 'shop', name: 'cart-1', gracePeriodSeconds: 0, expectUid: uid },
    });
    expect(s.kube.get('Pod', 'cart-1', 'shop')?.metadata.uid).toBe(uid);
    expect(tested.json()).toEqual({
      ok: true,
      message: expect.stringMatching(/accepts a server-side dry run: would delete pod shop\/cart-1 \(grace 0s\)/),
    });
    expect(realWrites(s)).toHaveLength(0);
  });
});

describe('audit export', () => {
  beforeEach(() => start());

  it('exports every matching entry as CSV and as JSON Lines, oldest first', async () => {
    const [id] = await s.engine.onAnomaly(anomaly({ summary: '=HYPERLINK("x")' }));
    await call('POST', `/api/actions/${id}/approve`, { comment: 'ok, "quoted"' }, 'alice');
    await s.engine.idle();
    const csv = await call('GET', '/api/audit?format=csv');
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(/attachment/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('id,at,kind,actionId,triggerId,user,comment,message,details');
    expect(lines.find((l) => l.includes('"approved"'))).toContain('"alice","ok, ""quoted"""');
    const jsonl = await call('GET', `/api/audit?format=jsonl&actionId=${id}`);
    const entries = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(entries.map((e) => e.kind)).toEqual([
      'proposed',
      'dry_run',
      'approved',
      'executing',
      'kubernetes',
      'succeeded',
    ]);
    const paged = (await call('GET', '/api/audit?limit=2&offset=1')).json();
    expect(paged.items).toHaveLength(2);
    expect(paged.total).toBeGreaterThan(6);
  });

  it('defuses every character a spreadsheet starts a formula with, tab and carriage return included', async () => {
    const comments = ['=1+1', '+1', '-1', '@SUM(A1)', '\t=HYPERLINK("http://x")', '\r=1+1'];
    for (const comment of comments) {
      // One after the other on the same deployment: a rejected action leaves room for the next.
      const [id] = await s.engine.onAnomaly(anomaly());
      expect((await call('POST', `/api/actions/${id}/reject`, { comment }, 'alice')).statusCode).toBe(200);
    }
    const cells = (await call('GET', '/api/audit?format=csv&kind=rejected')).body
      .split('\r\n')
      .slice(1, -1)
      .map((line) => /^(?:"[^"]*",){6}"((?:[^"]|"")*)"/.exec(line)?.[1]);
    expect(cells.sort()).toEqual(comments.map((c) => `'${c.replace(/"/g, '""')}`).sort());
  });
});

describe('alert intake', () => {
  const crashLooping = (status: 'firing' | 'resolved'): AlertmanagerWebhook => ({
    version: '4',
    groupKey: '{}/{severity="warning"}:{alertname="KubePodCrashLooping"}',
    truncatedAlerts: 0,
    status,
    receiver: 'failureprophet',
    groupLabels: { alertname: 'KubePodCrashLooping' },
    commonLabels: { alertname: 'KubePodCrashLooping', severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels: {
          alertname: 'KubePodCrashLooping',
          namespace: 'shop',
          pod: 'cart-1',
          container: 'cart',
          job: 'kube-state-metrics',
          severity: 'warning',
        },
        annotations: {
          summary: 'Pod is crash looping.',
          description: 'Pod shop/cart-1 (cart) is in waiting state (reason: "CrashLoopBackOff").',
        },
        startsAt: '2025-06-01T11:50:00.000Z',
        endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2025-06-01T12:10:00.000Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=...',
        fingerprint: 'a1b2c3d4e5f60718',
      },
    ],
  });

  // What Grafana alerting's webhook contact point sends: version "1" and its own extra fields.
  const grafanaAlert = (status: 'firing' | 'resolved') => ({
    receiver: 'failureprophet',
    status,
    orgId: 1,
    alerts: [
      {
        status,
        labels: {
          alertname: 'CartLatency',
          grafana_folder: 'Shop',
          namespace: 'shop',
          deployment: 'cart',
          severity: 'critical',
        },
        annotations: { summary: 'p99 latency above 2s' },
        startsAt: '2025-06-01T11:58:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://grafana:3000/alerting/grafana/abc/view?orgId=1',
        fingerprint: '6a3e4c2f1b0d9e87',
        silenceURL: 'http://grafana:3000/alerting/silence/new',
        dashboardURL: '',
        panelURL: '',
        values: { B: 2.3, C: 1 },
        valueString: "[ var='B' labels={} value=2.3 ]",
      },
    ],
    groupLabels: { alertname: 'CartLatency' },
    commonLabels: { alertname: 'CartLatency' },
    commonAnnotations: {},
    externalURL: 'http://grafana:3000/',
    version: '1',
    groupKey: '{}:{alertname="CartLatency"}',
    truncatedAlerts: 0,
    title: '[FIRING:1] CartLatency',
    state: 'alerting',
    message: '**Firing**',
  });

  it('Alertmanager: a firing alert triggers the policy matching its labels; resolved closes it', async () => {
    await start({
      policies: [
        {
          name: 'crashloop',
          match: { alertLabels: { alertname: 'KubePodCrashLooping' } },
          action: { type: 'delete-pod' },
          gate: 'approve',
        },
      ],
    });
    s.kube.add(pod({ namespace: 'shop', name: 'cart-1', ownerKind: 'ReplicaSet' }));
    const firing = await call('POST', '/api/alerts', crashLooping('firing'));
    expect(firing.json()).toEqual({ firing: 1, resolved: 0, proposed: [1] });
    const action = (await s.engine.actions.get(1))!;
    expect(action).toMatchObject({
      state: 'awaiting_approval',
      policy: 'crashloop',
      target: 'pod shop/cart-1',
      trigger: { source: 'alert', id: 'a1b2c3d4e5f60718@2025-06-01T11:50:00.000Z', severity: 'medium' },
    });
    // Pinned to the pod the dry run saw.
    expect(action.action).toMatchObject({
      type: 'delete-pod',
      expectUid: s.kube.get('Pod', 'cart-1', 'shop')!.metadata.uid,
    });
    // Alertmanager repeats a firing group: no second proposal.
    expect((await call('POST', '/api/alerts', crashLooping('firing'))).json().proposed).toEqual([]);
    expect((await call('POST', '/api/alerts', crashLooping('resolved'))).json()).toEqual({
      firing: 0,
      resolved: 1,
      proposed: [],
    });
    await call('POST', '/api/actions/1/approve', {}, 'alice');
    await s.engine.idle();
    expect(await s.engine.actions.get(1)).toMatchObject({
      state: 'cancelled',
      reason: {
        kind: 'trigger-resolved',
        message: expect.stringContaining('alert a1b2c3d4e5f60718@2025-06-01T11:50:00.000Z resolved'),
      },
    });
    expect(s.kube.get('Pod', 'cart-1', 'shop')).toBeDefined();
  });

  it("Grafana's webhook contact point: critical on a deployment → the default scale-out proposal", async () => {
    await start();
    const res = await call('POST', '/api/alerts', grafanaAlert('firing'));
    expect(res.statusCode).toBe(200);
    const action = (await s.engine.actions.get(res.json().proposed[0]))!;
    expect(action).toMatchObject({
      policy: 'critical-scale-out',
      target: 'deployment shop/cart',
      trigger: { watch: 'CartLatency', summary: 'p99 latency above 2s' },
    });
    expect((await call('POST', '/api/alerts', grafanaAlert('resolved'))).json().resolved).toBe(1);
    expect(
      (await s.engine.audit.list({ kind: ['trigger_closed'], limit: 5, offset: 0, format: 'json' })).items[0].message
    ).toBe('alert 6a3e4c2f1b0d9e87@2025-06-01T11:58:00.000Z resolved');
  });

  it('a malformed payload gets a 400 naming the field', async () => {
    await start();
    const broken = crashLooping('firing') as { alerts: Array<{ status: string }> };
    broken.alerts[0].status = 'burning';
    const res = await call('POST', '/api/alerts', broken);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: 'bad_request', field: 'body.alerts.0.status' });
    const missing = await call('POST', '/api/alerts', { status: 'firing' });
    expect(missing.json().field).toBe('body.alerts');
  });
});
