import type { Locator, Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import { browserSuite, startBackend } from './harness';

const PLUGIN_ID = 'failureprophet-healing-app';

jest.setTimeout(120_000);

const suite = browserSuite({ page: 'app', bundle: 'app-forms36', backend: startBackend });

/** Opens the healing policies tab and types the word into the field, without Enter: the focus stays in it. */
async function typeInto(page: Page, field: (page: Page) => Locator, word: string) {
  await page.goto(`${suite.grafana.url}/plugins/${PLUGIN_ID}?page=policies`);
  await field(page).click();
  await page.keyboard.insertText(word);
  await page.getByTestId(testIds.healingConfig.unsaved).waitFor();
}

/**
 * Presses and releases the mouse on Save as a user does, checking it is enabled as the mouse goes
 * down: the press blurs the field, which adds the word or refuses it. Locator.click() would wait for
 * the button to be enabled.
 */
async function pressSave(page: Page) {
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
}

describe('the tag fields of the healing policies tab, in a real browser', () => {
  it('save a 63-character namespace typed into the deny-list on the first click of Save', async () => {
    const page = await suite.browser.newPage();
    const namespace = `staging-${'n'.repeat(55)}`;
    await typeInto(
      page,
      (p) => p.getByTestId(testIds.healingConfig.limits).getByLabel(/^Namespace deny-list/),
      namespace
    );
    await pressSave(page);
    await page.getByTestId(testIds.healingConfig.saveSuccess).waitFor();
    const saved = await suite.backend.request('GET', '/api/safety-limits');
    expect(saved.body.limits.namespaces.deny).toEqual(['kube-system', namespace]);
    await page.close();
  });

  it('save nothing for a label selector without "=" that the press on Save refuses, and say why', async () => {
    const page = await suite.browser.newPage();
    const before = await suite.backend.request('GET', '/api/policies');
    const policy = (p: Page) => p.getByTestId(testIds.healingConfig.policy(0));
    await typeInto(page, (p) => policy(p).getByLabel(/^Label selectors/), 'app');
    await pressSave(page);
    await policy(page).getByText('"app" is not a label selector: write key=value').waitFor();
    await page.getByTestId(testIds.healingConfig.invalid).waitFor();
    expect(await page.getByTestId(testIds.healingConfig.save).isDisabled()).toBe(true);
    expect(
      await policy(page)
        .getByLabel(/^Label selectors/)
        .inputValue()
    ).toBe('app');
    expect(await page.getByTestId(testIds.healingConfig.saveSuccess).count()).toBe(0);
    expect(await page.getByTestId(testIds.healingConfig.saveError).count()).toBe(0);
    expect((await suite.backend.request('GET', '/api/policies')).body).toEqual(before.body);
    await page.close();
  });
});
