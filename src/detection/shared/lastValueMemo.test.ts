import { LastValueMemo } from './lastValueMemo';

describe('LastValueMemo', () => {
  it('gives f(x) for every x, calling f only when x changes', () => {
    const calls: number[] = [];
    const memo = new LastValueMemo((x) => {
      calls.push(x);
      return Math.exp(x);
    });
    const xs = [-0.2, -0.2, -0.2, -0.5, -0.2, -0.2, NaN, NaN, 3];
    expect(xs.map((x) => memo.of(x))).toEqual(xs.map((x) => Math.exp(x)));
    expect(calls).toEqual([-0.2, -0.5, -0.2, NaN, NaN, 3]);
  });

  it('tells -0 from +0, which compare equal', () => {
    const memo = new LastValueMemo((x) => 1 / x);
    expect([memo.of(0), memo.of(-0), memo.of(0)]).toEqual([Infinity, -Infinity, Infinity]);
  });
});
