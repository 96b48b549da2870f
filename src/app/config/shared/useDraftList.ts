import { useState } from 'react';

/** A list an editor changes before saving it: replace, add, delete and move items by index. */
export interface DraftList<T> {
  items: T[];
  /** Starts again from `items` (what the backend answered after a save or a reset). */
  replace: (items: T[]) => void;
  update: (index: number, item: T) => void;
  add: (item: T) => void;
  remove: (index: number) => void;
  /** Swaps the item with its neighbour above (-1) or below (1); order matters where the first match wins. */
  move: (index: number, by: -1 | 1) => void;
}

/** The add / update / delete / move list of the watch and policy editors, in one place. */
export function useDraftList<T>(initial: () => T[]): DraftList<T> {
  const [items, setItems] = useState<T[]>(initial);
  return {
    items,
    replace: setItems,
    update: (index, item) => setItems((list) => list.map((old, i) => (i === index ? item : old))),
    add: (item) => setItems((list) => [...list, item]),
    remove: (index) => setItems((list) => list.filter((_, i) => i !== index)),
    move: (index, by) => setItems((list) => moved(list, index, by)),
  };
}

/** The list with the item swapped with its neighbour above (-1) or below (1); unchanged at either end. */
export function moved<T>(list: T[], index: number, by: -1 | 1): T[] {
  const to = index + by;
  if (to < 0 || to >= list.length) {
    return list;
  }
  const next = [...list];
  [next[index], next[to]] = [next[to], next[index]];
  return next;
}
