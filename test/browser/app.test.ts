import type { Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import { triggerKey } from '../../src/server/healing/store/actionRows';
import { deployment } from '../kube/objects';
import { axeScan, browserSuite, screenshot, seedOpenAnomaly, setTheme, startBackend, tabOrder } from './harness';

const PLUGIN_ID = 'failureprophet-healing-app';

/**
 * Polls until `check` passes, at most `polls` times 100 ms apart. Counted polls, not a deadline on
 * the clock: on a loaded machine each poll takes longer, and the wait stretches with it.
 */
async function waitUntil(check: () => Promise<boolean> | boolean, polls = 600) {
  for (let i = 0; !(await check()); i++) {
    if (i >= polls) {
      throw new Error(`the backend did not get there in ${polls} polls`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
jest.setTimeout(120_000);

// getByTestId escapes ids that contain quotes (target ids do).
const byTestId = (page: Page, id: string) => page.getByTestId(id);

describe('the app in a real browser', () => {
  const suite = browserSuite({
    page: 'app',
    backend: startBackend,
    dataSources: [
      { uid: 'prom-main', name: 'Prometheus', type: 'prometheus' },
      { uid: 'loki', name: 'Loki', type: 'loki' },
    ],
  });

  it('shows the overview with the backend status in dark and light themes, accessibly', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/overview`);
    await byTestId(page, testIds.backendStatus.container).waitFor();
    // The backend really answered through the proxy: no Prometheus is configured in this test.
    await expect(byTestId(page, testIds.backendStatus.check('prometheus')).textContent()).resolves.toMatch(
      /no Prometheus configured/
    );
    await screenshot(page, 'overview-dark');
    expect(await axeScan(page)).toEqual([]);
    await setTheme(page, 'light');
    await screenshot(page, 'overview-light');
    expect(await axeScan(page)).toEqual([]);
    expect(suite.grafana.proxied).toContain('GET readyz 503');
    await page.close();
  });

  it('saves the connection through the settings API', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=connection`);
    const url = byTestId(page, testIds.appConfig.backendUrl);
    await url.waitFor();
    await screenshot(page, 'config-connection-dark');
    expect(await axeScan(page)).toEqual([]);
    await url.fill('not a url');
    await expect(page.getByText('Not a URL').count()).resolves.toBe(1);
    await url.fill(suite.backend.url);
    await Promise.all([page.waitForEvent('load'), byTestId(page, testIds.appConfig.submit).click()]);
    expect(suite.grafana.settings.jsonData.backendUrl).toBe(suite.backend.url);
    expect(suite.grafana.settings.secureJsonData.backendToken).toBe(suite.backend.token);
    await page.close();
  });

  it('edits healing policies and engages the kill switch against the real backend', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=policies`);
    await byTestId(page, testIds.healingConfig.policy(0)).waitFor();
    await screenshot(page, 'config-policies-dark');
    expect(await axeScan(page)).toEqual([]);
    const focusable = await tabOrder(page, 400);
    expect(focusable).toEqual(
      expect.arrayContaining(['Move critical-scale-out down', 'Delete critical-scale-out', 'Engage kill switch'])
    );

    // Validation as you type: an empty name blocks saving.
    const name = page.locator('[data-testid="' + testIds.healingConfig.policy(0) + '"] input').first();
    await name.fill('');
    await byTestId(page, testIds.healingConfig.invalid).waitFor();
    expect(await byTestId(page, testIds.healingConfig.save).isDisabled()).toBe(true);
    await name.fill('critical-scale-out-v2');
    await byTestId(page, testIds.healingConfig.save).click();
    await byTestId(page, testIds.healingConfig.saveSuccess).waitFor();
    const saved = await suite.backend.request('GET', '/api/policies');
    expect(saved.body.source).toBe('store');
    expect(saved.body.policies[0].name).toBe('critical-scale-out-v2');

    await byTestId(page, testIds.healingConfig.killSwitchToggle).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Reason').fill('browser test');
    await dialog.getByRole('button', { name: 'Engage' }).click();
    await page.locator(`[data-testid="${testIds.healingConfig.killSwitch}"][data-engaged="true"]`).waitFor();
    expect((await suite.backend.request('GET', '/api/kill-switch')).body).toMatchObject({
      engaged: true,
      reason: 'browser test',
      changedBy: 'admin',
    });
    await setTheme(page, 'light');
    await screenshot(page, 'config-policies-kill-switch-light');
    expect(await axeScan(page)).toEqual([]);

    // Release it again so the actions below can execute.
    await byTestId(page, testIds.healingConfig.killSwitchToggle).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Release' }).click();
    await page.locator(`[data-testid="${testIds.healingConfig.killSwitch}"][data-engaged="false"]`).waitFor();
    expect((await suite.backend.request('GET', '/api/kill-switch')).body.engaged).toBe(false);
    await page.close();
  });

  it('approves and rejects pending actions, and the backend records both', async () => {
    suite.backend.kube.add(
      deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
      deployment({ namespace: 'shop', name: 'checkout', replicas: 2 })
    );
    const alert = (deploymentName: string) => ({
      status: 'firing',
      labels: { alertname: 'HighLatency', severity: 'critical', namespace: 'shop', deployment: deploymentName },
      annotations: { summary: `${deploymentName} p99 latency above 2s` },
    });
    const intake = await suite.backend.request('POST', '/api/alerts', {
      status: 'firing',
      alerts: [alert('cart'), alert('checkout')],
    });
    expect(intake.status).toBe(200);
    expect(intake.body.proposed).toHaveLength(2);
    const [cartId, checkoutId] = intake.body.proposed as number[];

    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/actions`);
    await byTestId(page, testIds.actions.action(cartId)).waitFor();
    // The server-side dry run's diff is on the card before anyone approves.
    await expect(byTestId(page, testIds.actions.action(cartId)).textContent()).resolves.toMatch(/3.*4/);
    await screenshot(page, 'actions-pending-dark');
    expect(await axeScan(page)).toEqual([]);
    // Every decision is reachable by keyboard, named for the action it decides.
    const focusable = await tabOrder(page);
    for (const id of [cartId, checkoutId]) {
      expect(focusable).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^Approve action ${id}: Scale deployment shop/`)),
          expect.stringMatching(new RegExp(`^Reject action ${id}: `)),
        ])
      );
    }

    await byTestId(page, testIds.actions.approve(cartId)).click();
    await page.getByRole('dialog').getByLabel('Comment').fill('latency is hurting checkout');
    await page.getByRole('dialog').getByRole('button', { name: 'Approve' }).click();
    await byTestId(page, testIds.actions.approve(cartId)).waitFor({ state: 'detached' });

    await byTestId(page, testIds.actions.reject(checkoutId)).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Reject' }).click();
    await byTestId(page, testIds.actions.noPending).waitFor();

    const approved = (await suite.backend.request('GET', `/api/actions/${cartId}`)).body;
    expect(approved.decisions[0]).toMatchObject({
      decision: 'approved',
      user: 'admin',
      comment: 'latency is hurting checkout',
    });
    expect((await suite.backend.request('GET', `/api/actions/${checkoutId}`)).body.state).toBe('rejected');
    // The engine ticks and executes the approved scale on the (test) cluster.
    await waitUntil(async () => suite.backend.kube.get('Deployment', 'cart', 'shop')?.spec?.replicas === 4);
    expect(suite.backend.kube.get('Deployment', 'checkout', 'shop')?.spec?.replicas).toBe(2);

    // The history refreshes by itself and shows both outcomes.
    await page.locator(`[data-testid="${testIds.actions.history}"] [data-state="rejected"]`).waitFor();
    await page
      .locator(
        `[data-testid="${testIds.actions.history}"] [data-testid="${testIds.actions.action(cartId)}"]:not([data-state="approved"])`
      )
      .waitFor();
    await setTheme(page, 'light');
    await screenshot(page, 'actions-history-light');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });

  it('shows Viewers the pending action with the decision disabled, and the proxy refuses it too', async () => {
    suite.backend.kube.add(deployment({ namespace: 'shop', name: 'search', replicas: 2 }));
    const intake = await suite.backend.request('POST', '/api/alerts', {
      status: 'firing',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'Crash', severity: 'critical', namespace: 'shop', deployment: 'search' },
          annotations: {},
        },
      ],
    });
    const [id] = intake.body.proposed as number[];
    expect((await suite.backend.request('GET', `/api/actions/${id}`)).body.state).toBe('awaiting_approval');
    suite.grafana.setRole('Viewer');
    try {
      const page = await suite.browser.newPage();
      await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/actions`);
      await byTestId(page, testIds.actions.approve(id)).waitFor();
      expect(await byTestId(page, testIds.actions.approve(id)).isDisabled()).toBe(true);
      expect(await byTestId(page, testIds.actions.reject(id)).isDisabled()).toBe(true);
      await expect(page.getByText('Only Editors and Admins can do this').count()).resolves.toBeGreaterThan(0);
      const status = await page.evaluate(
        async (url) =>
          (await fetch(url, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } })).status,
        `/api/plugin-proxy/${PLUGIN_ID}/api/actions/${id}/approve`
      );
      expect(status).toBe(403);
      await screenshot(page, 'actions-viewer-dark');
      await page.close();
    } finally {
      suite.grafana.setRole('Admin');
    }
    expect((await suite.backend.request('GET', `/api/actions/${id}`)).body.state).toBe('awaiting_approval');
  });

  it('tests the connection from the config page and says what works', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=connection`);
    await byTestId(page, testIds.appConfig.testButton('backend')).click();
    const backendResult = page.locator(`[data-testid="${testIds.appConfig.testResult('backend')}"][data-ok]`);
    await backendResult.waitFor();
    expect(await backendResult.getAttribute('data-ok')).toBe('true');
    expect(await backendResult.textContent()).toMatch(/answers and accepts the token/);
    await byTestId(page, testIds.appConfig.testButton('prometheus')).click();
    const promResult = page.locator(`[data-testid="${testIds.appConfig.testResult('prometheus')}"][data-ok]`);
    await promResult.waitFor();
    // This backend runs without Prometheus, and says so.
    expect(await promResult.textContent()).toMatch(/no Prometheus configured/);
    await byTestId(page, testIds.appConfig.testButton('kubernetes')).click();
    const kubeResult = page.locator(`[data-testid="${testIds.appConfig.testResult('kubernetes')}"][data-ok]`);
    await kubeResult.waitFor();
    expect((await kubeResult.textContent())?.trim().length).toBeGreaterThan(0);
    await page.getByLabel('API endpoint').check({ force: true });
    await page.getByText('The Kubernetes API URL is required').waitFor();
    await screenshot(page, 'config-connection-tests-dark');
    expect(await axeScan(page)).toEqual([]);
    await setTheme(page, 'light');
    await screenshot(page, 'config-connection-tests-light');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });

  it('shows anomalies with feedback, the audit log and the models, in both themes', async () => {
    const now = Date.now();
    const stored = await seedOpenAnomaly(suite.backend, now);
    await suite.backend.pipeline.repo.addModel({
      watch: 'latency',
      targetId: 'latency{deployment="cart"}',
      status: 'active',
      reason: 'initial',
      trainedAt: now - 3_600_000,
      rangeStart: now - 86_400_000,
      rangeEnd: now - 3_600_000,
      samples: 1440,
      params: {},
      threshold: 0.8,
      feedback: { falsePositive: 0, confirmed: 0 },
    });

    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/overview`);
    await byTestId(page, testIds.feedback.confirmed(stored.id!)).click();
    await page.getByText('Confirmed (admin)').waitFor();
    const anomaly = (await suite.backend.request('GET', `/api/anomalies/${stored.id}`)).body.anomaly;
    expect(anomaly.feedback[0]).toMatchObject({ kind: 'confirmed', source: 'operator', user: 'admin' });
    await screenshot(page, 'overview-anomalies-dark');
    expect(await axeScan(page)).toEqual([]);

    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/audit`);
    await byTestId(page, testIds.audit.table).waitFor();
    await expect(byTestId(page, testIds.audit.table).textContent()).resolves.toMatch(/latency is hurting checkout/);
    await screenshot(page, 'audit-dark');
    expect(await axeScan(page)).toEqual([]);
    await setTheme(page, 'light');
    await screenshot(page, 'audit-light');
    expect(await axeScan(page)).toEqual([]);

    await page.goto(`${suite.grafana.url}/a/${PLUGIN_ID}/models`);
    await byTestId(page, testIds.models.retrain('latency{deployment="cart"}')).waitFor();
    await screenshot(page, 'models-dark');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });

  it('edits a ladder, automatic hours and the new limits accessibly, and the real backend keeps them', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=policies`);
    const policy = byTestId(page, testIds.healingConfig.policy(0));
    await policy.waitFor();
    await policy.getByRole('button', { name: 'Add step' }).click();
    await byTestId(page, testIds.healingConfig.step(0, 0)).waitFor();
    await policy.getByLabel(/^Verification window of step 1/).fill('300');
    const hours = byTestId(page, testIds.healingConfig.autoWindows(0));
    // Grafana's Switch hides its input under the drawn switch: click the input itself.
    await hours.getByRole('switch').dispatchEvent('click');
    await hours.getByLabel(/^Time zone/).fill('Europe/Berlin');
    await byTestId(page, testIds.healingConfig.limits)
      .getByLabel(/^Storm threshold/)
      .fill('30');
    expect(await axeScan(page)).toEqual([]);
    await screenshot(page, 'config-policies-ladder-dark');

    await byTestId(page, testIds.healingConfig.save).click();
    await byTestId(page, testIds.healingConfig.saveSuccess).waitFor();
    const saved = (await suite.backend.request('GET', '/api/policies')).body.policies[0];
    expect(saved).toMatchObject({
      verifySeconds: 300,
      steps: [{ gate: 'approve' }],
      autoWindows: { timeZone: 'Europe/Berlin', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] }] },
    });
    expect((await suite.backend.request('GET', '/api/safety-limits')).body.limits.storm).toEqual({
      maxAlarmingTargets: 30,
    });
    await page.close();
  });

  it("saves the severities and action picked in a policy's Grafana comboboxes, typed into and clicked", async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=policies`);
    const policy = byTestId(page, testIds.healingConfig.policy(1));
    await policy.waitFor();
    const severities = policy.getByRole('combobox', { name: /^Severities/ });
    await severities.click();
    await severities.fill('med');
    await page.getByRole('option', { name: 'medium' }).click();
    // Leaving the field closes the menu and empties its input (Escape would leave "med" typed there).
    await severities.press('Tab');
    await expect(severities.inputValue()).resolves.toBe('');
    const action = policy.getByRole('combobox', { name: 'Action' });
    await action.click();
    await action.fill('noti');
    await page.getByRole('option', { name: /^Notify/ }).click();
    await expect(action.inputValue()).resolves.toBe('Notify');
    await policy.getByLabel(/^Message/).waitFor();
    expect(await axeScan(page)).toEqual([]);

    await byTestId(page, testIds.healingConfig.save).click();
    await byTestId(page, testIds.healingConfig.saveSuccess).waitFor();
    const saved = (await suite.backend.request('GET', '/api/policies')).body.policies[1];
    expect(saved.match.severities).toEqual(['high', 'medium']);
    expect(saved.action).toEqual({ type: 'notify' });
    await page.close();
  });

  it('pages the action history in the URL, and Back returns to the page before without leaving the app', async () => {
    // More decided actions than a page of the history holds (20), the newest last.
    const actions = suite.backend.store.healing.actions;
    const seeded: number[] = [];
    for (let i = 0; i < 25; i++) {
      const at = Date.now();
      const trigger = {
        source: 'alert' as const,
        id: `browser-history-${i}`,
        watch: 'HighLatency',
        labels: { deployment: `history-${i}` },
        severity: 'medium' as const,
        startedAt: at,
      };
      await actions.openTrigger(trigger, at, () => undefined);
      const id = await actions.insert({
        triggerKey: triggerKey(trigger),
        policy: 'browser-history',
        gate: 'approve',
        action: {
          type: 'scale',
          target: { kind: 'deployment', namespace: 'shop', name: `history-${i}` },
          replicas: 2,
          ceiling: 4,
        },
        target: `deployment shop/history-${i}`,
        namespace: 'shop',
        at,
      });
      // Rejected at once, whether or not the engine's tick dry-ran it in between.
      expect(await actions.transition({ id: id!, from: ['proposed', 'awaiting_approval'], to: 'rejected', at })).toBe(
        true
      );
      seeded.push(id!);
    }
    const [oldest, newest] = [seeded[0], seeded[seeded.length - 1]];
    const page = await suite.browser.newPage();
    const row = (id: number) =>
      page.locator(`[data-testid="${testIds.actions.history}"] [data-testid="${testIds.actions.action(id)}"]`);
    const actionsUrl = `${suite.grafana.url}/a/${PLUGIN_ID}/actions`;
    await page.goto(actionsUrl);
    await row(newest).waitFor();
    await byTestId(page, testIds.pager.older).click();
    await row(oldest).waitFor();
    expect(await row(newest).count()).toBe(0);
    const older = new URL(page.url());
    expect(older.searchParams.get('cursor')).toBeTruthy();

    // Still the app, on the newest page (not the page the browser was on before it).
    await page.goBack();
    expect(page.url()).toBe(actionsUrl);
    await row(newest).waitFor();
    expect(await row(oldest).count()).toBe(0);
    expect(await byTestId(page, testIds.pager.newest).isDisabled()).toBe(true);

    // And Forward, or the link itself, opens the older page again.
    await page.goForward();
    await row(oldest).waitFor();
    await page.goto(older.href);
    await row(oldest).waitFor();
    expect(await row(newest).count()).toBe(0);
    await page.close();
  });
});
