/** `n` and the noun for it: "1 watch", "3 watches" (`many` where adding an s is wrong). */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "1 target", "120 targets", "10 of 120 targets": how many rows a filter left of a list. */
export function countOf(shown: number, total: number, noun: string): string {
  const named = counted(total, noun);
  return shown === total ? named : `${shown} of ${named}`;
}
