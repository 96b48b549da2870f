import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.FP_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_DIR = join(__dirname, '../../artifacts');

export interface RunningBrowser {
  context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Debian's Chromium, headless, with a fresh profile so no earlier run can leak into this one. */
export async function launchChromium(): Promise<RunningBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: run \`bash scripts/install-test-deps.sh\` (it installs Debian's chromium)`
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'fp-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1400, height: 1000 },
  });
  return {
    context,
    newPage: async () => {
      const page = await context.newPage();
      // A page error is a failed test, not a line in a log nobody reads.
      page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
      return page;
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Switches the page's Grafana theme (GrafanaShell's window.__setTheme). */
export async function setTheme(page: Page, mode: 'light' | 'dark'): Promise<void> {
  await page.evaluate((m) => (window as unknown as { __setTheme: (x: string) => void }).__setTheme(m), mode);
  // React commits the switch later, and Grafana's components then fade their colours (CSS
  // transitions): a scan or a screenshot taken meanwhile, which a busy machine makes likely, sees
  // text of one theme on the background of the other.
  await page.locator(`main[data-theme="${mode}"]`).waitFor({ state: 'attached' });
  await transitionsDone(page);
}

/** After the next frames, every transition and finite animation of the page has ended. */
async function transitionsDone(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const finite = document
      .getAnimations()
      .filter((a) => Number.isFinite(a.effect?.getComputedTiming().endTime ?? Infinity));
    await Promise.all(finite.map((a) => a.finished.catch(() => undefined)));
  });
}

/** Uncaught errors of every page opened with newPage; a test asserts it stays empty. */
export const pageErrors: string[] = [];

export const SCREENSHOTS_DIR = join(ARTIFACTS_DIR, 'screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** `<name>-dark.png` and `<name>-light.png`; the page is left in the dark theme. */
export async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  await setTheme(page, 'dark');
  await screenshot(page, `${name}-dark`);
  await setTheme(page, 'light');
  await screenshot(page, `${name}-light`);
  await setTheme(page, 'dark');
}

/**
 * What a page says is empty next to what it shows: the texts of @grafana/ui EmptyState elements
 * (found by their 300 px illustration) and the number of table rows and action cards. A page that
 * has both contradicts itself.
 */
export async function emptyStatesBesideData(page: Page): Promise<{ emptyStates: string[]; rows: number }> {
  return page.evaluate(() => ({
    emptyStates: Array.from(document.querySelectorAll('svg[width="300"]')).map(
      (svg) => svg.parentElement?.textContent?.trim() ?? ''
    ),
    rows: document.querySelectorAll('tbody tr, [data-testid^="data-testid fp-action-"][data-state]').length,
  }));
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core's WCAG 2.x A/AA rules on the page as it is now. Returns the violations in a form a
 * failing expect() prints readably.
 */
export async function axeScan(page: Page, options: { exclude?: string[] } = {}): Promise<AxeViolation[]> {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Colour contrast is judged on what is drawn now: not halfway through a fade.
  await transitionsDone(page);
  await page.evaluate(source);
  return page.evaluate(async (exclude) => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: Array<Record<string, any>> }> };
      }
    ).axe;
    const result = await axe.run(
      { include: [['body']], exclude: exclude.map((s) => [s]) },
      { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }
    );
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: { target: string[] }) => n.target.join(' ')),
    }));
  }, options.exclude ?? []);
}

/**
 * Tabs through the page and returns every element that took focus, so a test can assert that
 * each control it expects is reachable by keyboard.
 */
export async function tabOrder(page: Page, maxSteps = 200): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const seen: string[] = [];
  for (let i = 0; i < maxSteps; i++) {
    await page.keyboard.press('Tab');
    const label = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) {
        return null;
      }
      return (
        el.getAttribute('aria-label') || el.textContent?.trim() || el.id || el.getAttribute('data-testid') || el.tagName
      );
    });
    if (label === null || (seen.length > 0 && label === seen[0])) {
      break;
    }
    seen.push(label);
  }
  return seen;
}
