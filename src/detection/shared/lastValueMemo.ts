/**
 * f(x) remembered for the last x: a regularly sampled series asks failureprophet for the same
 * step's decay at every sample, and each exp, expm1 or log10 is a call out of optimised code in
 * V8. The same number as calling f: only the last argument and its result are kept (a zero is
 * always recomputed, since -0 and +0 compare equal). One memo may serve every detector with the
 * same options; a series with another step only costs a recompute.
 */
export class LastValueMemo {
  private x = NaN;
  private y = NaN;

  constructor(private readonly f: (x: number) => number) {}

  of(x: number): number {
    if (x !== this.x || x === 0) {
      this.y = this.f(x);
      this.x = x;
    }
    return this.y;
  }
}
