// Typing into the healing policies tab and pressing its Save as a user does, for the browser tests
// of its fields.

import type { Locator, Page } from 'playwright-core';
import { testIds } from '../../src/app/testIds';

const PLUGIN_ID = 'failureprophet-healing-app';

/**
 * Opens the healing policies tab and enters the word into the field, without Enter: the focus stays
 * in it. Returns once the form shows it has unsaved changes (it renders Save enabled with that).
 * `keys`: 'type' sends a key press per character; 'insertText' enters the word at once, as a paste does.
 */
export async function typeIntoPolicies(
  page: Page,
  grafanaUrl: string,
  field: (page: Page) => Locator,
  word: string,
  keys: 'type' | 'insertText'
): Promise<void> {
  await page.goto(`${grafanaUrl}/plugins/${PLUGIN_ID}?page=policies`);
  await field(page).click();
  await page.keyboard[keys](word);
  await page.getByTestId(testIds.healingConfig.unsaved).waitFor();
}

/**
 * Presses and releases the mouse on Save as a user does, checking it is enabled as the mouse goes
 * down: the press blurs the field, which adds the word or refuses it, and a browser need not deliver
 * a click pressed on a disabled button (Chromium 156 does). Locator.click() would wait for the
 * button to be enabled.
 */
export async function pressSave(page: Page): Promise<void> {
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
