import { act, renderHook } from '@testing-library/react';
import { useDraftList } from './useDraftList';

const setup = () => renderHook(() => useDraftList(() => ['a', 'b', 'c']));

describe('useDraftList', () => {
  it('updates, adds and removes items by index', () => {
    const { result } = setup();
    act(() => result.current.update(1, 'B'));
    expect(result.current.items).toEqual(['a', 'B', 'c']);
    act(() => result.current.add('d'));
    expect(result.current.items).toEqual(['a', 'B', 'c', 'd']);
    act(() => result.current.remove(0));
    expect(result.current.items).toEqual(['B', 'c', 'd']);
  });

  it('moves an item up or down, and not past either end', () => {
    const { result } = setup();
    act(() => result.current.move(2, -1));
    expect(result.current.items).toEqual(['a', 'c', 'b']);
    act(() => result.current.move(0, 1));
    expect(result.current.items).toEqual(['c', 'a', 'b']);
    act(() => result.current.move(0, -1));
    act(() => result.current.move(2, 1));
    expect(result.current.items).toEqual(['c', 'a', 'b']);
  });

  it('applies changes made in one event one after another, and starts again from a saved list', () => {
    const { result } = setup();
    act(() => {
      result.current.remove(0);
      result.current.add('z');
    });
    expect(result.current.items).toEqual(['b', 'c', 'z']);
    act(() => result.current.replace(['saved']));
    expect(result.current.items).toEqual(['saved']);
  });
});
