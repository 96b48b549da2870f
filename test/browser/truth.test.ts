import type { Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import { deployment } from '../kube/objects';
import {
  browserSuite,
  emptyStatesBesideData,
  screenshotBothThemes,
  seedOpenAnomaly,
  startBackend,
  type RunningBackend,
} from './harness';

// Issue 14, "pages that tell the truth": each page, with data in the backend, must not contradict
// itself. The backend holds an open critical anomaly (but no scored target) and two actions waiting
// for approval; Grafana has no Kubernetes settings saved, so the backend uses its config file's
// API endpoint. The user's time zone is Europe/Berlin, which every shown time must name.

const PLUGIN_ID = 'failureprophet-healing-app';
const APP = `/a/${PLUGIN_ID}`;
const PAGES = [`${APP}/overview`, `${APP}/actions`, `${APP}/audit`, `${APP}/models`];
const CONFIG_TABS = ['connection', 'policies', 'watches'];

jest.setTimeout(180_000);

async function seed(backend: RunningBackend) {
  await seedOpenAnomaly(backend, Date.now());
  backend.kube.add(
    deployment({ namespace: 'shop', name: 'cart', replicas: 3 }),
    deployment({ namespace: 'shop', name: 'checkout', replicas: 2 })
  );
  const alert = (name: string) => ({
    status: 'firing',
    labels: { alertname: 'HighLatency', severity: 'critical', namespace: 'shop', deployment: name },
    annotations: { summary: `${name} p99 latency above 2s` },
  });
  const intake = await backend.request('POST', '/api/alerts', {
    status: 'firing',
    alerts: [alert('cart'), alert('checkout')],
  });
  expect(intake.body.proposed).toHaveLength(2);
}

async function startSeededBackend() {
  const backend = await startBackend();
  await seed(backend);
  return backend;
}

/** The nearest element (itself included) that draws a border: where an input's border colour lives. */
async function borderColour(page: Page, selector: string): Promise<string> {
  return page.locator(selector).evaluate((el) => {
    for (let e: Element | null = el; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      if (parseFloat(style.borderTopWidth) > 0 && style.borderTopStyle !== 'none') {
        return style.borderTopColor;
      }
    }
    return 'none';
  });
}

describe('pages that tell the truth (issue 14)', () => {
  const suite = browserSuite({
    page: 'app',
    bundle: 'app-truth',
    backend: startSeededBackend,
    timeZone: 'Europe/Berlin',
    dataSources: [{ uid: 'prom-main', name: 'Prometheus', type: 'prometheus' }],
  });

  it('the Overview does not say "No targets yet" beside an open critical anomaly', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}${APP}/overview`);
    await page.getByTestId(testIds.overview.anomalies).waitFor();
    await page.getByTestId(testIds.overview.noTargetsScored).waitFor();
    await expect(page.getByTestId(testIds.overview.noTargets).count()).resolves.toBe(0);
    await expect(page.getByText('No targets yet').count()).resolves.toBe(0);
    await page.close();
  });

  it('the Actions page does not say "No actions yet" while two actions wait for approval', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}${APP}/actions`);
    await page.getByTestId(testIds.actions.noHistory).waitFor();
    await expect(page.getByText('No actions yet').count()).resolves.toBe(0);
    await expect(page.getByTestId(testIds.actions.noHistory).textContent()).resolves.toMatch(
      /the 2 actions above wait for approval/
    );
    await page.close();
  });

  it('shows every time with the user’s time zone', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}${APP}/overview`);
    const started = page.getByTestId(testIds.overview.anomalies).locator('tbody tr td').nth(1);
    await started.waitFor();
    // December in Berlin: CET, the wall-clock time there (not the browser's UTC).
    await expect(started.textContent()).resolves.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CET$/);
    await page.goto(`${suite.grafana.url}${APP}/actions`);
    await expect(page.getByTestId(testIds.actions.pending).textContent()).resolves.toMatch(/expires .* CET/);
    await page.close();
  });

  it('the Connection tab agrees with the backend and its controls look untouched and aligned', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=connection`);
    await page
      .getByTestId(testIds.kubernetesAccess.source)
      .getByText(/The backend uses: API endpoint/)
      .waitFor();
    // No radio claims "in-cluster" while the backend says it uses an API endpoint.
    await expect(page.getByLabel('In-cluster service account').isChecked()).resolves.toBe(false);

    // The data-source picker is not marked invalid before anyone touched it: same border as the URL input.
    expect(await borderColour(page, '#fp-prometheus-datasource')).toBe(
      await borderColour(page, `[data-testid="${testIds.appConfig.backendUrl}"]`)
    );

    // The token field lines up with the URL field above it (label and input start at the same x).
    const left = (selector: string) => page.locator(selector).evaluate((el) => el.getBoundingClientRect().left);
    expect(await left('label[for="fp-backend-token"]')).toBe(await left('label[for="fp-backend-url"]'));
    expect(await left('#fp-backend-token')).toBe(await left('#fp-backend-url'));

    // The Kubernetes test says what the backend's test does (list pods), not a dry run it does not run.
    const kubeButton = page.getByTestId(testIds.appConfig.testButton('kubernetes'));
    await expect(kubeButton.textContent()).resolves.not.toMatch(/dry run/i);
    await expect(kubeButton.textContent()).resolves.toMatch(/lists pods/);
    await kubeButton.click();
    const result = page.locator(`[data-testid="${testIds.appConfig.testResult('kubernetes')}"][data-ok]`);
    await result.waitFor();
    await expect(result.textContent()).resolves.toMatch(/can list pods/);
    await page.close();
  });

  it('the save footer covers no field, and the allow-all namespace entry is said in words', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=policies`);
    const save = page.getByTestId(testIds.healingConfig.save);
    await save.waitFor();
    const covered = await page.evaluate((saveId) => {
      const footer = document.querySelector(`[data-testid="${saveId}"]`)!.closest('div[class]')!.parentElement!;
      const box = footer.getBoundingClientRect();
      return Array.from(document.querySelectorAll('input, button, label, textarea'))
        .filter((el) => !footer.contains(el))
        .map((el) => ({ el, r: el.getBoundingClientRect() }))
        .filter(({ r }) => r.width > 0 && r.left < box.right && box.left < r.right && r.top < box.bottom)
        .filter(({ r }) => box.top < r.bottom)
        .map(({ el }) => el.getAttribute('aria-label') || el.textContent?.trim() || el.id || el.tagName);
    }, testIds.healingConfig.save);
    expect(covered).toEqual([]);

    const limits = page.getByTestId(testIds.healingConfig.limits);
    await expect(limits.getByLabel('All namespaces').isChecked()).resolves.toBe(true);
    await expect(limits.getByText('*', { exact: true }).count()).resolves.toBe(0);
    await page.close();
  });

  it('no page shows an empty state beside data, and each page and tab is screenshotted in both themes', async () => {
    const page = await suite.browser.newPage();
    const contradictions: string[] = [];
    const visit = async (path: string, name: string) => {
      await page.goto(`${suite.grafana.url}${path}`);
      await page.waitForLoadState('networkidle');
      const { emptyStates, rows } = await emptyStatesBesideData(page);
      if (emptyStates.length > 0 && rows > 0) {
        contradictions.push(`${path}: "${emptyStates.join('", "')}" beside ${rows} rows`);
      }
      await screenshotBothThemes(page, `truth-${name}`);
    };
    for (const path of PAGES) {
      await visit(path, path.slice(APP.length + 1));
    }
    for (const tab of CONFIG_TABS) {
      await visit(`/plugins/${PLUGIN_ID}?page=${tab}`, `config-${tab}`);
    }
    expect(contradictions).toEqual([]);
    await page.close();
  });
});
