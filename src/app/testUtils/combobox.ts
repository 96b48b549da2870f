import { screen } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';

/**
 * Gives jsdom the two things of a browser's layout that Grafana's Combobox and MultiCombobox need.
 * They measure option labels on a canvas (the scaffold's setup makes `getContext` return nothing),
 * and their menu renders only the options that fit its scrolling list's height, which jsdom reports
 * as 0. Here a character is 7 px wide and a menu's list is tall enough for every option. Call it in
 * a test file before rendering one (each test file has its own jsdom).
 */
export function installComboboxLayout() {
  const context = { font: '', measureText: (text: string) => ({ width: text.length * 7 }) };
  HTMLCanvasElement.prototype.getContext = (() => context) as unknown as HTMLCanvasElement['getContext'];
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.closest('[role="listbox"]') ? 10_000 : 0;
    },
  });
}

/**
 * Picks an option as a user does: clicks the combobox, which opens its menu, clears what its input
 * still holds (a MultiCombobox keeps the text last typed until it loses focus), types the label,
 * which filters the menu, then clicks the option. An option's accessible name is its label, then
 * its description if it has one.
 */
export async function chooseOption(user: UserEvent, combobox: HTMLElement, label: string) {
  await user.click(combobox);
  await user.clear(combobox);
  await user.type(combobox, label, { skipClick: true });
  const option = await screen.findByRole('option', {
    name: (name) => name === label || name.startsWith(`${label} `),
  });
  await user.click(option);
}
