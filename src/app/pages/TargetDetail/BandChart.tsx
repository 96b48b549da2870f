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
  const line = (pick: (p: BandPoint) => number | null) =>
    points
      .filter((p) => pick(p) !== null)
      .map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(pick(p)!).toFixed(1)}`)
      .join(' ');
  const banded = points.filter((p) => p.lower !== null && p.upper !== null);
  const band =
    banded.length > 1
      ? `M${banded.map((p) => `${x(p.t).toFixed(1)},${y(p.upper!).toFixed(1)}`).join(' L')} L${[...banded]
          .reverse()
          .map((p) => `${x(p.t).toFixed(1)},${y(p.lower!).toFixed(1)}`)
          .join(' L')} Z`
      : '';
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
          aria-label={`${name}: ${points.length} steps, ${anomalous.length} above the threshold`}
        >
          {band && <path d={band} className={styles.band} />}
          <path d={line((p) => p.value)} className={styles.value} />
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

/** The highest-scoring step when it reached the threshold, else the latest: its value against the band. */
function describeStep(points: BandPoint[], threshold: number): string {
  const valued = points.filter((p) => p.value !== null);
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
  value: css({ fill: 'none', stroke: theme.colors.primary.main, strokeWidth: 1.5, vectorEffect: 'non-scaling-stroke' }),
  anomaly: css({ fill: theme.colors.error.main }),
});
