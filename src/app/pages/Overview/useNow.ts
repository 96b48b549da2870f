import { useEffect, useState } from 'react';

/** How often a time to failure is counted down between the pages' refreshes. */
export const COUNTDOWN_MS = 15_000;

/** The time now, renewed every `everyMs`: what a countdown counts from, so that it counts down between refreshes too. */
export function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
