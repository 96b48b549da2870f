import React, { type ReactNode } from 'react';
import { act, renderHook } from '@testing-library/react';
import { MemoryRouter, useLocation, useNavigate, useNavigationType } from 'react-router-dom';
import { pageOf, useUrlParams } from './useUrlParams';

const DEFAULTS = { q: '', sort: 'score', page: '1' };

/**
 * The hook on a page of a memory history that holds the page the user came from before it, with what
 * the test needs of the router: the location, how it was last reached, and Back.
 */
function renderAt(url: string) {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MemoryRouter
      initialEntries={['/a/app/elsewhere', url]}
      initialIndex={1}
      future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
    >
      {children}
    </MemoryRouter>
  );
  const { result } = renderHook(
    () => {
      const [view, setView] = useUrlParams(DEFAULTS);
      return { view, setView, location: useLocation(), how: useNavigationType(), navigate: useNavigate() };
    },
    { wrapper }
  );
  const back = () => act(() => result.current.navigate(-1));
  return { result, back };
}

describe('useUrlParams', () => {
  it('reads each parameter from the URL, its default when absent', () => {
    const { result } = renderAt('/a/app/list?page=3&other=x');
    expect(result.current.view).toEqual({ q: '', sort: 'score', page: '3' });
  });

  it('adds a history entry for a discrete change (a page, a sort): Back returns to the previous view', () => {
    const { result, back } = renderAt('/a/app/list?page=2');
    act(() => result.current.setView({ page: '3' }));
    expect(result.current.how).toBe('PUSH');
    act(() => result.current.setView({ sort: 'name', page: undefined }));
    expect(result.current.how).toBe('PUSH');
    expect(result.current.location.search).toBe('?sort=name');

    back();
    expect(result.current.location.pathname).toBe('/a/app/list');
    expect(result.current.view).toEqual({ q: '', sort: 'score', page: '3' });
    back();
    expect(result.current.location.pathname).toBe('/a/app/list');
    expect(result.current.view.page).toBe('2');
    back();
    expect(result.current.location.pathname).toBe('/a/app/elsewhere');
  });

  it('replaces the entry for a change made while typing: Back skips the keystrokes', () => {
    const { result, back } = renderAt('/a/app/list?page=2');
    for (const q of ['c', 'ca', 'car']) {
      act(() => result.current.setView({ q, page: undefined }, { replace: true }));
      expect(result.current.how).toBe('REPLACE');
    }
    expect(result.current.location.search).toBe('?q=car');
    // A page of the filtered list is its own step again.
    act(() => result.current.setView({ page: '2' }));
    back();
    expect(result.current.view).toEqual({ q: 'car', sort: 'score', page: '1' });
    back();
    expect(result.current.location.pathname).toBe('/a/app/elsewhere');
  });

  it('keeps other parameters, drops defaults, and adds no entry when the URL stays the same', () => {
    const { result, back } = renderAt('/a/app/list?action=12&page=2');
    act(() => result.current.setView({ page: '1', q: 'cart' }));
    expect(result.current.location.search).toBe('?action=12&q=cart');
    const key = result.current.location.key;
    act(() => result.current.setView({ q: 'cart', page: '1' }));
    expect(result.current.location.key).toBe(key);
    back();
    expect(result.current.location.search).toBe('?action=12&page=2');
  });
});

describe('pageOf', () => {
  it.each([
    ['3', 3],
    ['1', 1],
    ['0', 1],
    ['', 1],
    ['2.0', 1],
    ['1e1', 1],
    ['-2', 1],
  ])('reads %p as page %p', (text, page) => expect(pageOf(text)).toBe(page));
});
