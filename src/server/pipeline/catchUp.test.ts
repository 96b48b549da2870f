import {
  answerSteps,
  basisOf,
  CATCH_UP_CHUNK_STEPS,
  chunkEnd,
  outgrownBasis,
  type AnswerBasis,
  type CatchUpLimits,
} from './catchUp';

const MINUTE = 60_000;
/** The last step of the answer that starts at `from` within a chunk that ends at `to`, as readInAnswers asks it. */
const answerEnd = (from: number, to: number, basis: AnswerBasis | undefined, l: CatchUpLimits) =>
  Math.min(to, from + (answerSteps(basis, l) - 1) * l.stepMs);

const limits = (over: Partial<CatchUpLimits> = {}): CatchUpLimits => ({
  stepMs: MINUTE,
  maxPoints: 11_000,
  maxPointsPerAnswer: 50_000,
  ...over,
});

/** The answers a chunk [from, to] is read in when every answer has `series` series. */
function answers(from: number, to: number, series: number, l: CatchUpLimits): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let last: { series: number; steps: number } | undefined;
  for (let at = from; at <= to;) {
    const until = answerEnd(at, to, last, l);
    out.push([at, until]);
    last = { series, steps: (until - at) / l.stepMs + 1 };
    at = until + l.stepMs;
  }
  return out;
}

describe('catch-up planning', () => {
  it('cuts a range into chunks of at most 2,000 steps, and of maxPointsPerQuery steps when that is less', () => {
    expect(chunkEnd(0, 10_000 * MINUTE, limits())).toBe((CATCH_UP_CHUNK_STEPS - 1) * MINUTE);
    expect(chunkEnd(0, 10_000 * MINUTE, limits({ maxPoints: 10 }))).toBe(9 * MINUTE);
    expect(chunkEnd(5 * MINUTE, 7 * MINUTE, limits())).toBe(7 * MINUTE);
    expect(chunkEnd(7 * MINUTE, 7 * MINUTE, limits())).toBe(7 * MINUTE);
  });

  it('reads one step first, when the number of series is not known yet', () => {
    expect(answerSteps(undefined, limits())).toBe(1);
    expect(answerEnd(0, 100 * MINUTE, undefined, limits())).toBe(0);
  });

  it('after a restart, sizes the first answer by the targets restored, without growing from one step', () => {
    expect(answerSteps({ series: 1 }, limits())).toBe(11_000);
    expect(answerSteps({ series: 100_000 }, limits())).toBe(1);
    expect(answerEnd(0, 9 * MINUTE, { series: 30 }, limits())).toBe(9 * MINUTE);
  });

  it('sizes answers by the series the last one had: series × steps within the budget', () => {
    const l = limits();
    expect(answerSteps({ series: 100_000, steps: 1 }, l)).toBe(1);
    expect(answerSteps({ series: 10_000, steps: 8 }, l)).toBe(5);
    expect(answerSteps({ series: 1_000, steps: 64 }, l)).toBe(50);
    // More series than the budget has points: still one step, the least an answer can be.
    expect(answerSteps({ series: 10_000_000, steps: 1 }, l)).toBe(1);
    // Few series: as many steps as Prometheus allows per series.
    expect(answerSteps({ series: 2, steps: 10_000 }, l)).toBe(11_000);
    expect(answerSteps({ series: 2, steps: 10_000 }, limits({ maxPoints: 10 }))).toBe(10);
  });

  it('at most doubles the steps of the last answer, so an empty start does not jump to an unsized range', () => {
    expect(answerSteps({ series: 0, steps: 1 }, limits())).toBe(2);
    expect(answerSteps({ series: 3, steps: 4 }, limits())).toBe(8);
    const read = answers(0, 99 * MINUTE, 10, limits());
    expect(read.map(([a, b]) => (b - a) / MINUTE + 1)).toEqual([1, 2, 4, 8, 16, 32, 37]);
  });

  it('tiles the chunk: no step read twice, none left out, every answer within the budget after the first', () => {
    for (const series of [1, 37, 999, 12_345, 100_000]) {
      const l = limits({ maxPointsPerAnswer: 5_000 });
      const read = answers(10 * MINUTE, 2_009 * MINUTE, series, l);
      expect(read[0]).toEqual([10 * MINUTE, 10 * MINUTE]);
      expect(read[read.length - 1][1]).toBe(2_009 * MINUTE);
      for (let i = 1; i < read.length; i++) {
        expect(read[i][0]).toBe(read[i - 1][1] + MINUTE);
        const steps = (read[i][1] - read[i][0]) / MINUTE + 1;
        expect(steps * series <= 5_000 || steps === 1).toBe(true);
      }
    }
  });

  it('keeps the steps an outgrown answer left while capped, whatever a shorter answer read since', () => {
    // An answer of 8 steps for 300 series was too large: 4 fit.
    const capped = outgrownBasis({ series: 300, steps: 8 }, 8);
    expect(answerSteps(capped, limits())).toBe(4);
    // A cycle reads its one step of the same 300 series: the next catch-up or retraining still asks 4.
    const oneStep = basisOf(new Map([['q', new Array(300)]]), 10 * MINUTE, 10 * MINUTE, MINUTE, capped);
    expect(answerSteps(oneStep, limits())).toBe(4);
    // Fewer series lift the cap: answers may grow again.
    const fewer = basisOf(new Map([['q', new Array(100)]]), 11 * MINUTE, 11 * MINUTE, MINUTE, oneStep);
    expect(fewer.capped).toBeUndefined();
    expect(answerSteps(fewer, limits())).toBe(2);
  });
});
