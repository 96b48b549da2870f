import { cleanAnswersDigest } from './cleanAnswers';
import { CrossingForecaster } from './crossing';

/**
 * On series with no gap and no outlier bucket, every answer is the one the forecaster gave before
 * gaps, garbage samples and a bucket's first samples were handled (fcaf8bd, whose
 * `npm run backtest` figures issue 13's targets were read from): only gaps and outliers take the
 * new paths. A deliberate change of behaviour on clean series updates this digest in the same
 * commit and says why.
 */
it('answers on clean series exactly as before gaps and outliers were handled', () => {
  // The pipeline's horizon in the backtest: 48 h.
  expect(cleanAnswersDigest(() => new CrossingForecaster({ horizonMs: 48 * 3_600_000 }))).toBe(
    '03d41ed8b0a995d93546a09ea772e592330a5f96d052d2aa91c029e7929b6899'
  );
});
