import type { Locator, Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import { browserSuite, startBackend } from './harness';
import { pressSave } from './policiesTab';

jest.setTimeout(120_000);

const suite = browserSuite({ page: 'app', bundle: 'app-forms38', backend: startBackend });

const PLUGIN_ID = 'failureprophet-healing-app';
const openPolicies = (page: Page) => page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=policies`);

/** Clicks Save with the mouse, then waits for the form to say it saved. */
async function clickSave(page: Page) {
  await pressSave(page);
  await page.getByTestId(testIds.healingConfig.saveSuccess).waitFor();
}

/** Where an element's top is in the document, so a move shows whatever the scroll does. */
const documentTop = (element: Locator) => element.evaluate((el) => el.getBoundingClientRect().top + window.scrollY);

describe('the policy editor in a real browser', () => {
  it('saves an alert label value with "=", ",", quotes and a trailing space as typed, and again unchanged', async () => {
    const page = await suite.browser.newPage();
    const value = 'Pod "cart-1" restarting: rate=3, window=5m ';
    await openPolicies(page);
    const alerts = page.getByTestId(testIds.healingConfig.policy(0)).getByRole('group', { name: 'Alert labels' });
    await alerts.getByRole('button', { name: 'Add label' }).click();
    await alerts.getByRole('textbox', { name: 'Label 1 name' }).pressSequentially('summary');
    await alerts.getByRole('textbox', { name: 'Label 1 value' }).pressSequentially(value);
    await clickSave(page);
    const saved = await suite.backend.request('GET', '/api/policies');
    expect(saved.body.policies[0].match.alertLabels).toEqual({ summary: value });

    // Opened anew, another field changed, saved: the value comes back as it was.
    await openPolicies(page);
    await page
      .getByTestId(testIds.healingConfig.policy(0))
      .getByLabel(/^Description/)
      .pressSequentially('odd values');
    await clickSave(page);
    const again = await suite.backend.request('GET', '/api/policies');
    expect(JSON.stringify(again.body.policies[0].match.alertLabels)).toBe(JSON.stringify({ summary: value }));
    await page.close();
  });

  it('keeps Save under the mouse from press to release when the typed word starts a new row of tags', async () => {
    const page = await suite.browser.newPage();
    await openPolicies(page);
    const deny = page.getByTestId(testIds.healingConfig.limits).getByLabel(/^Namespace deny-list/);
    const save = page.getByTestId(testIds.healingConfig.save);
    // Adds namespaces until typing the next one moves Save down: its tag starts a new row.
    let typed = '';
    for (let n = 1; typed === '' && n <= 40; n++) {
      const top = await documentTop(save);
      await deny.pressSequentially(`staging-${n}`);
      if ((await documentTop(save)) > top) {
        typed = `staging-${n}`;
      } else {
        await deny.press('Enter');
      }
    }
    expect(typed).not.toBe('');

    await save.scrollIntoViewIfNeeded();
    const before = await save.boundingBox();
    await page.mouse.move(before!.x + before!.width / 2, before!.y + before!.height / 2);
    await page.mouse.down();
    // The blur of the press has added the word; let the browser lay the page out again.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await save.boundingBox()).toEqual(before);
    await page.mouse.up();
    await page.getByTestId(testIds.healingConfig.saveSuccess).waitFor();
    const saved = await suite.backend.request('GET', '/api/safety-limits');
    expect(saved.body.limits.namespaces.deny.at(-1)).toBe(typed);
    await page.close();
  });
});
