import { forecastScore, TTF_ALARM_SECONDS } from './forecastScore';

describe('the score of a near limit crossing', () => {
  it("is the score a detector's alarm needs for the severity its time left gets: 0.8 for high, 0.9 for critical, 1 when due", () => {
    expect(forecastScore(TTF_ALARM_SECONDS + 1)).toBe(0);
    expect(forecastScore(3600)).toBeCloseTo(0.8, 12);
    expect(forecastScore(900)).toBeCloseTo(0.9, 12);
    expect(forecastScore(0)).toBe(1);
  });

  it('rises steadily as the crossing nears, within [0.8, 1]', () => {
    const scores = Array.from({ length: 61 }, (_, i) => forecastScore(3600 - i * 60));
    scores.slice(1).forEach((s, i) => expect(s).toBeGreaterThan(scores[i]));
    expect(Math.min(...scores)).toBeGreaterThanOrEqual(0.8);
    expect(Math.max(...scores)).toBe(1);
  });
});
