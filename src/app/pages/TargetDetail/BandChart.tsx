import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { BandPoint } from '../../../contract/pipeline';
import { formatTime } from '../../../utils/time';

const WIDTH = 600;
const HEIGHT = 120;

/**
 * A signal's recent values inside its learned band; points that scored high are marked. The axes'
 * ends (times in the user's zone, the value scale) and a sentence about the highest-scoring step
 * say when it moved and how far from normal, which the shape alone does not.
 */
export function BandChart({ name, points, threshold }: { name: string; points: BandPoint[]; threshold: number }) {
  const styles = useStyles2(getStyles);
  const values = points.flatMap((p) => [p.value, p.lower, p.upper].filter((v): v is number => v !== null));
  if (points.length < 2 || values.length === 0) {
    return null;
  }
  const [t0, t1] = [points[0].t, points[points.length - 1].t];
  const [lo, hi] = [Math.min(...values), Math.max(...values)];
  const x = (t: number) => ((t - t0) / Math.max(1, t1 - t0)) * WIDTH;
  const y = (v: number) => HEIGHT - ((v - lo) / Math.max(1e-9, hi - lo)) * HEIGHT;
  const at = (p: BandPoint, v: number) => `${x(p.t).toFixed(1)},${y(v).toFixed(1)}`;
  // A run of one step is a zero-length subpath: its round caps draw it as a dot.
  const line = runsOf(points, (p) => p.value !== null)
    .map((run) => `M${run.map((p) => at(p, p.value!)).join(' L')}${run.length === 1 ? ' h0' : ''}`)
    .join(' ');
  const band = runsOf(points, (p) => p.lower !== null && p.upper !== null)
    .filter((run) => run.length > 1)
    .map(
      (run) =>
        `M${run.map((p) => at(p, p.upper!)).join(' L')} L${[...run]
          .reverse()
          .map((p) => at(p, p.lower!))
          .join(' L')} Z`
    )
    .join(' ');
  const anomalous = points.filter((p) => p.value !== null && p.score >= threshold);
  return (
    <figure className={styles.figure}>
      <div className={styles.plot}>
        <div className={styles.yAxis} aria-hidden>
          <span>{hi.toPrecision(3)}</span>
          <span>{lo.toPrecision(3)}</span>
        </div>
        <svg
          className={styles.svg}
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${name}: ${points.length} steps, ${
            points.some((p) => p.value !== null) ? `${anomalous.length} above the threshold` : 'none with a value'
          }`}
        >
          {band && <path d={band} className={styles.band} />}
          {line && <path d={line} className={styles.value} />}
          {anomalous.map((p) => (
            <circle key={p.t} cx={x(p.t)} cy={y(p.value!)} r={3} className={styles.anomaly} />
          ))}
        </svg>
      </div>
      <div className={styles.xAxis}>
        <span>{formatTime(t0, { format: 'MM-DD HH:mm' })}</span>
        <span>{formatTime(t1, { format: 'MM-DD HH:mm' })}</span>
      </div>
      <figcaption>{describeStep(points, threshold)}</figcaption>
    </figure>
  );
}

/**
 * The steps in order, split where `has` fails (a missing value or band) or where time jumps by more
 * than the grid's step (the backend leaves out the steps the target had no sample at): each run is
 * drawn on its own, so a gap stays a gap instead of a straight line across it.
 */
function runsOf(points: BandPoint[], has: (p: BandPoint) => boolean): BandPoint[][] {
  let step = Infinity;
  for (let i = 1; i < points.length; i++) {
    const dt = points[i].t - points[i - 1].t;
    if (dt > 0 && dt < step) {
      step = dt;
    }
  }
  const runs: BandPoint[][] = [];
  let run: BandPoint[] = [];
  points.forEach((p, i) => {
    if (run.length > 0 && (!has(p) || p.t - points[i - 1].t > 1.5 * step)) {
      runs.push(run);
      run = [];
    }
    if (has(p)) {
      run.push(p);
    }
  });
  if (run.length > 0) {
    runs.push(run);
  }
  return runs;
}

/**
 * The highest-scoring step when it reached the threshold, else the latest: its value against the
 * band. A signal with no value in the window (its band still learned) says so, with its latest band.
 */
function describeStep(points: BandPoint[], threshold: number): string {
  const valued = points.filter((p) => p.value !== null);
  if (valued.length === 0) {
    const banded = points.filter((p) => p.lower !== null && p.upper !== null);
    const last = banded[banded.length - 1];
    return last
      ? `No values in this window; normal at ${formatTime(last.t)}: ${last.lower!.toPrecision(3)} – ${last.upper!.toPrecision(3)}`
      : 'No values in this window';
  }
  const peak = valued.reduce((a, b) => (b.score > a.score ? b : a), valued[0]);
  const alarmed = peak.score >= threshold;
  const step = alarmed ? peak : valued[valued.length - 1];
  const value = step.value!;
  const what = alarmed
    ? `Highest score ${peak.score.toFixed(2)} at ${formatTime(step.t)}`
    : `Latest at ${formatTime(step.t)}`;
  if (step.lower === null || step.upper === null) {
    return `${what}: ${value.toPrecision(3)} (no band learned)`;
  }
  const side = value > step.upper ? ', above the band' : value < step.lower ? ', below the band' : '';
  return `${what}: ${value.toPrecision(3)}, normal ${step.lower.toPrecision(3)} – ${step.upper.toPrecision(3)}${side}`;
}

const getStyles = (theme: GrafanaTheme2) => ({
  figure: css({ margin: 0 }),
  plot: css({ display: 'flex', gap: theme.spacing(1) }),
  yAxis: css({
    display: 'flex',
    flexDirection: 'column',
    justifyContent: 'space-between',
    textAlign: 'right',
    minWidth: theme.spacing(6),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  xAxis: css({
    display: 'flex',
    justifyContent: 'space-between',
    marginLeft: theme.spacing(7),
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
  }),
  svg: css({ flex: 1, minWidth: 0, height: HEIGHT, display: 'block' }),
  band: css({ fill: theme.colors.primary.transparent, stroke: 'none' }),
  value: css({
    fill: 'none',
    stroke: theme.colors.primary.main,
    strokeWidth: 1.5,
    strokeLinecap: 'round',
    strokeLinejoin: 'round',
    vectorEffect: 'non-scaling-stroke',
  }),
  anomaly: css({ fill: theme.colors.error.main }),
});
