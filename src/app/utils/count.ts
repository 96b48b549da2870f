/**
 * "1 target", "120 targets", "10 of 120 targets": how many rows a filter left of a list. `noun` is
 * singular; its plural adds an "s" (the lists counted so are of targets and models).
 */
export function countOf(shown: number, total: number, noun: string): string {
  const named = `${total} ${total === 1 ? noun : `${noun}s`}`;
  return shown === total ? named : `${shown} of ${named}`;
}
