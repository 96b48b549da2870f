import type { Locator, Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';
import { browserSuite, startBackend } from './harness';
import { pressSave, typeIntoPolicies } from './policiesTab';

jest.setTimeout(120_000);

const suite = browserSuite({ page: 'app', bundle: 'app-forms36', backend: startBackend });

/** Enters the word into the field at once. */
const typeInto = (page: Page, field: (page: Page) => Locator, word: string) =>
  typeIntoPolicies(page, suite.grafana.url, field, word, 'insertText');

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
