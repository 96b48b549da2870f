import type { Locator, Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import { browserSuite, startBackend } from './harness';
import { pressSave, typeIntoPolicies } from './policiesTab';

jest.setTimeout(120_000);

const suite = browserSuite({ page: 'app', bundle: 'app-tags', backend: startBackend });

/** Types the word into the field, a key press per character, as a user does. */
const typeInto = (page: Page, field: (page: Page) => Locator, word: string) =>
  typeIntoPolicies(page, suite.grafana.url, field, word, 'type');

/** Clicks Save with the mouse, then waits for the form to say it saved. */
async function clickSave(page: Page) {
  await pressSave(page);
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
