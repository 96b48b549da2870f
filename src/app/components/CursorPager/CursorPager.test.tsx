import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { CursorPager } from './CursorPager';

const user = setupUser();

describe('CursorPager', () => {
  it('shows nothing for a list of one page', () => {
    const { container } = render(<CursorPager label="Pages" next={null} previous={null} onNavigate={jest.fn()} />);
    expect(container).toBeEmptyDOMElement();
  });

  it('goes to the older page from the newest, where nothing is newer', async () => {
    const onNavigate = jest.fn();
    render(<CursorPager label="Pages" next="o51" previous={null} onNavigate={onNavigate} />);
    expect(screen.getByTestId(testIds.pager.newest)).toBeDisabled();
    expect(screen.getByTestId(testIds.pager.newer)).toBeDisabled();
    await user.click(screen.getByTestId(testIds.pager.older));
    expect(onNavigate).toHaveBeenCalledWith('o51');
  });

  it('names its landmark after the list it pages, so two pagers on a page are told apart', () => {
    render(
      <>
        <CursorPager label="Pages of pending actions" next="o2" onNavigate={jest.fn()} />
        <CursorPager label="Pages of the history" next="o9" onNavigate={jest.fn()} />
      </>
    );
    expect(screen.getAllByRole('navigation').map((nav) => nav.getAttribute('aria-label'))).toEqual([
      'Pages of pending actions',
      'Pages of the history',
    ]);
  });

  it('goes newer, or back to the newest page, from the oldest', async () => {
    const onNavigate = jest.fn();
    render(<CursorPager label="Pages" cursor="o3" next={null} previous="n2" onNavigate={onNavigate} />);
    expect(screen.getByTestId(testIds.pager.older)).toBeDisabled();
    await user.click(screen.getByTestId(testIds.pager.newer));
    await user.click(screen.getByTestId(testIds.pager.newest));
    expect(onNavigate.mock.calls).toEqual([['n2'], [undefined]]);
  });

  it("says the words it is given, for a list not newest first, and the healing lists' words without them", async () => {
    const onNavigate = jest.fn();
    const words = { first: 'First', before: 'Previous', after: 'Next' };
    render(
      <CursorPager label="Pages of models" cursor="50" next="100" previous="0" onNavigate={onNavigate} words={words} />
    );
    const named = within(screen.getByRole('navigation', { name: 'Pages of models' }));
    expect(named.getAllByRole('button').map((b) => b.textContent)).toEqual(['First', 'Previous', 'Next']);
    await user.click(named.getByRole('button', { name: 'Next' }));
    await user.click(named.getByRole('button', { name: 'Previous' }));
    await user.click(named.getByRole('button', { name: 'First' }));
    expect(onNavigate.mock.calls).toEqual([['100'], ['0'], [undefined]]);

    render(<CursorPager label="Pages of the audit log" cursor="o3" next="o4" onNavigate={jest.fn()} />);
    const healing = within(screen.getByRole('navigation', { name: 'Pages of the audit log' }));
    expect(healing.getAllByRole('button').map((b) => b.textContent)).toEqual(['Newest', 'Newer', 'Older']);
  });
});
