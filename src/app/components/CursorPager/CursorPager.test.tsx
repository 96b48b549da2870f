import React from 'react';
import { render, screen } from '@testing-library/react';
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
});
