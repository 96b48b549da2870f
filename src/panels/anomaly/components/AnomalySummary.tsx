import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Badge, useStyles2 } from '@grafana/ui';
import type { TimeZone } from '@grafana/schema';
import { noForecastSchema, type NoForecast } from '../../../contract/pipeline';
import { ARTIME_PROBATION_MS } from '../../../detection';
import type { AnomalyRange, Crossing, SeriesAnalysis, Warmup } from '../model/analysis';
import { countdown } from '../model/countdown';
import { estimateNote, formatDuration, formatSpan, formatTime } from '../model/format';
import { panelTestIds } from '../testIds';
import { visuallyHidden } from '../../../app/utils/visuallyHidden';

export interface AnomalySummaryProps {
  analyses: SeriesAnalysis[];
  /** The dashboard's now, its time range's end: what a time to failure counts down from. */
  nowMs: number;
  timeZone: TimeZone;
  showAnomalies: boolean;
  showForecast: boolean;
  /** Why the backend could not be asked, when it was. */
  backendError?: string;
  /** The panel shows backend scores only (no browser fallback). */
  backendRequired: boolean;
}

/** Pixel height the panel reserves for the summary line above the graph. */
export const SUMMARY_HEIGHT = 24;

/** An anomaly said in words: which series, above or below the band, when, how unlikely. */
export function describeAnomaly(name: string, range: AnomalyRange, timeZone: TimeZone): string {
  const state = range.state === 'open' ? ', still open' : '';
  return `${name} ${range.side} the band, ${formatSpan(range.startMs, range.endMs, timeZone)}, peak score ${range.peakScore.toFixed(2)} (${range.severity}${state})`;
}

/**
 * A crossing counted down from `nowMs` (see `countdown`), saying when it was made (in the
 * dashboard's zone) when that is not now; a limit already crossed when it was made is said as such.
 */
export function describeCrossing(name: string, c: Crossing, nowMs: number, timeZone: TimeZone): string {
  const { fromMs, secondsLeft, asOfMs } = countdown(c, nowMs);
  const asOf = asOfMs === undefined ? '' : `, as of ${formatTime(asOfMs, timeZone)}`;
  if (c.seconds === 0) {
    return `${name} already ${c.direction} limit ${c.limit}${asOf}`;
  }
  const after = (ms: number) =>
    !Number.isFinite(ms) ? 'later' : ms <= fromMs ? 'now' : formatDuration((ms - fromMs) / 1000);
  const range =
    Number.isFinite(c.earliestMs) && c.earliestMs !== c.atMs ? ` (${after(c.earliestMs)} – ${after(c.latestMs)})` : '';
  const when = secondsLeft > 0 ? `crosses ${c.limit} in ${formatDuration(secondsLeft)}` : `is due to cross ${c.limit}`;
  return `${name} ${when}${range}${asOf}`;
}

/**
 * Why the backend forecasts none for the series it scores: the reason nearest a forecast, as a
 * target says its signals'.
 */
function noForecastOf(analyses: SeriesAnalysis[]): NoForecast | undefined {
  const rank = (why: NoForecast) => noForecastSchema.options.indexOf(why);
  return analyses
    .flatMap((a) => (a.source === 'backend' && a.noForecast ? [a.noForecast] : []))
    .sort((x, y) => rank(y) - rank(x))[0];
}

/**
 * One line above the graph that says what the canvas shows: the soonest time to failure from the
 * dashboard's now (or why the backend forecasts none), how many anomalies and the latest in words,
 * and where the scores come from. The full list is there for screen readers, since a canvas says
 * nothing to them.
 */
export function AnomalySummary({
  analyses,
  nowMs,
  timeZone,
  showAnomalies,
  showForecast,
  backendError,
  backendRequired,
}: AnomalySummaryProps) {
  const styles = useStyles2(getStyles);
  const anomalies = analyses
    .flatMap((a) => a.ranges.map((range) => ({ name: a.series.name, range })))
    .sort((x, y) => y.range.startMs - x.range.startMs);
  const soonest = analyses
    .flatMap((a) =>
      a.forecast?.crossing && Number.isFinite(a.forecast.crossing.atMs)
        ? [{ name: a.series.name, crossing: a.forecast.crossing }]
        : []
    )
    .sort((x, y) => x.crossing.atMs - y.crossing.atMs)[0];
  const backend = analyses.filter((a) => a.source === 'backend').length;
  const noForecast = noForecastOf(analyses);
  const latest = anomalies[0];
  // The furthest from scoring fully of the series scored here.
  const warmup = analyses.some((a) => a.warmup === 'learning')
    ? 'learning'
    : analyses.some((a) => a.warmup === 'faultsOnly')
      ? 'faultsOnly'
      : undefined;

  return (
    <div className={styles.summary} data-testid={panelTestIds.summary} style={{ height: SUMMARY_HEIGHT }}>
      {showForecast && soonest && (
        <span className={styles.ttf} data-testid={panelTestIds.timeToFailure}>
          Time to failure{estimateNote(soonest.crossing.source)}:{' '}
          {describeCrossing(soonest.name, soonest.crossing, nowMs, timeZone)}
        </span>
      )}
      {showForecast && !soonest && backend > 0 && (
        <span data-testid={panelTestIds.timeToFailure}>
          Time to failure: none forecast by the backend{noForecast && `: ${noForecast}`}
        </span>
      )}
      {showAnomalies && (
        <span className={styles.item}>
          {anomalies.length === 0
            ? 'No anomalies in range'
            : `${anomalies.length} ${anomalies.length === 1 ? 'anomaly' : 'anomalies'}, latest: ${describeAnomaly(latest.name, latest.range, timeZone)}`}
        </span>
      )}
      {backendError && backendRequired && (
        <span className={styles.error} data-testid={panelTestIds.error} role="status">
          Backend: {backendError}
        </span>
      )}
      {warmup && (
        <span data-testid={panelTestIds.warmup}>
          <Badge color="blue" icon="info-circle" text={WARMUP[warmup].text} tooltip={WARMUP[warmup].tooltip} />
        </span>
      )}
      <span className={styles.source} data-testid={panelTestIds.source}>
        <Badge
          color={backend > 0 ? 'green' : 'blue'}
          text={sourceText(analyses, backend)}
          tooltip={
            backendError
              ? `The backend could not be asked (${backendError}).${backendRequired ? '' : ' Scored in the browser instead.'}`
              : backend > 0
                ? 'Scores and anomalies of the series the Failure Prophet backend watches come from it; the others are scored in the browser.'
                : 'Scored in your browser by the detection library, on this panel’s data only: the backend does not watch these series (or the panel is set to browser), so nothing here is stored or acted on.'
          }
        />
      </span>
      {showAnomalies && anomalies.length > 0 && (
        <ul className={visuallyHidden} data-testid={panelTestIds.anomalyList} aria-label="Anomalies in range">
          {anomalies.map(({ name, range }, i) => (
            // Two episodes of a series may start at the same step (a different fault behind the first).
            <li key={`${name}-${range.startMs}-${i}`}>{describeAnomaly(name, range, timeZone)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

const WARMUP: Record<Warmup, { text: string; tooltip: string }> = {
  learning: {
    text: 'Learning',
    tooltip:
      'Scored in the browser on this panel’s time range only, which is too short for the detector to have learned: it marks nothing yet. A longer time range gives it more to learn from.',
  },
  faultsOnly: {
    text: 'Learning shapes',
    tooltip: `Scored in the browser on this panel’s time range only: the detector learns a series’ shapes from its first ${ARTIME_PROBATION_MS / 3_600_000} h of data, and until then marks only gross faults (a value far beyond the range seen, a drop to zero, a series stuck flat or stopped). A longer time range lets it score the rest.`,
  },
};

function sourceText(analyses: SeriesAnalysis[], backend: number): string {
  const browser = analyses.filter((a) => a.source === 'browser').length;
  if (backend === 0) {
    return browser > 0 ? 'Scored in browser' : 'Series not scored';
  }
  return backend === analyses.length ? 'Scored by backend' : `Scored by backend ${backend}/${analyses.length}`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  error: css({
    color: theme.colors.error.text,
  }),
  summary: css({
    display: 'flex',
    alignItems: 'center',
    gap: theme.spacing(1.5),
    overflow: 'hidden',
    whiteSpace: 'nowrap',
    fontSize: theme.typography.bodySmall.fontSize,
    color: theme.colors.text.secondary,
  }),
  ttf: css({
    color: theme.colors.error.text,
    fontWeight: theme.typography.fontWeightMedium,
  }),
  item: css({
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    minWidth: 0,
    flex: 1,
  }),
  source: css({
    marginLeft: 'auto',
  }),
});
