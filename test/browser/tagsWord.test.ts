import type { Locator, Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import { browserSuite, startBackend } from './harness';

const PLUGIN_ID = 'failureprophet-healing-app';

jest.setTimeout(120_000);

const suite = browserSuite({ page: 'app', bundle: 'app-tags', backend: startBackend });

/**
 * Opens the healing policies tab and types the word into the field, without Enter: the focus stays
 * in it. Returns once the form shows it has unsaved changes (it renders Save enabled with that).
 */
async function typeInto(page: Page, field: (page: Page) => Locator, word: string) {
  await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=policies`);
  await field(page).click();
  await page.keyboard.type(word);
  await page.getByTestId(testIds.healingConfig.unsaved).waitFor();
}

/**
 * Clicks Save with the mouse as a user does, checking it is enabled as the mouse goes down: the
 * press blurs the field, which adds the word, and a browser need not deliver a click pressed on a
 * disabled button (Chromium 156 does). Locator.click() would wait for the button to be enabled.
 */
async function clickSave(page: Page) {
  const save = page.getByTestId(testIds.healingConfig.save);
  await save.scrollIntoViewIfNeeded();
  const box = await save.boundingBox();
  if (!box) {
    throw new Error('Save is not on the page');
  }
  expect(await save.isDisabled()).toBe(false);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.up();
  await page.getByTestId(testIds.healingConfig.saveSuccess).waitFor();
}

describe('a word left typed in a tag field of the healing policies tab, in a real browser', () => {
  it("is saved by the first click of Save, in a policy's namespaces", async () => {
    const page = await suite.browser.newPage();
    await typeInto(page, (p) => p.getByTestId(testIds.healingConfig.policy(0)).getByLabel(/^Namespaces/), 'shop');
    await clickSave(page);
    const saved = await suite.backend.request('GET', '/api/policies');
    expect(saved.body.policies[0].match.namespaces).toEqual(['shop']);
    await page.close();
  });

  it('is saved by the first click of Save, in the namespace deny-list', async () => {
    const page = await suite.browser.newPage();
    await typeInto(
      page,
      (p) => p.getByTestId(testIds.healingConfig.limits).getByLabel(/^Namespace deny-list/),
      'staging'
    );
    await clickSave(page);
    const saved = await suite.backend.request('GET', '/api/safety-limits');
    expect(saved.body.limits.namespaces.deny).toEqual(['kube-system', 'staging']);
    await page.close();
  });

  it('makes the browser ask before the tab closes with it, where no blur adds it', async () => {
    const page = await suite.browser.newPage();
    await typeInto(page, (p) => p.getByTestId(testIds.healingConfig.policy(1)).getByLabel(/^Watches/), 'node');
    // The form listens for beforeunload in an effect after that render: wait until it does.
    await page.waitForFunction(() => {
      const unload = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(unload);
      return unload.defaultPrevented;
    });
    const closed = page.waitForEvent('close');
    // Whichever comes first: the browser's leave-this-page dialog, or the tab closing without one.
    const asked = new Promise<string>((resolve) => {
      page.once('dialog', (dialog) => {
        resolve(dialog.type());
        void dialog.accept();
      });
      page.once('close', () => resolve('closed without asking'));
    });
    await page.close({ runBeforeUnload: true });
    expect(await asked).toBe('beforeunload');
    await closed;
  });
});
