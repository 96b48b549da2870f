import { useLayoutEffect, useState, type DependencyList, type RefObject } from 'react';

/**
 * The height an element took in the last commit, measured before the browser paints (so the
 * graph below it is sized in the same frame), again whenever `deps` change. `initial` until then.
 */
export function useRenderedHeight(ref: RefObject<HTMLElement>, initial: number, deps: DependencyList): number {
  const [height, setHeight] = useState(initial);
  useLayoutEffect(() => {
    setHeight(ref.current?.offsetHeight ?? 0);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names what changes the element's size
  }, deps);
  return height;
}
