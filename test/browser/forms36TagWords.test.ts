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
});
