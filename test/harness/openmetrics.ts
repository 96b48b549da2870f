/** A series to backfill: one metric name, its labels, and samples (epoch ms → value). */
export interface BackfillSeries {
  name: string;
  labels?: Record<string, string>;
  timestamps: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * Writes series as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
 * Samples of one metric family must be contiguous, so series are grouped by name.
 */
export function toOpenMetrics(series: BackfillSeries[]): string {
  const byName = new Map<string, BackfillSeries[]>();
  for (const s of series) {
    byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  }
  const lines: string[] = [];
  for (const [name, group] of byName) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of group) {
      const labelText = formatLabels(s.labels ?? {});
      for (let i = 0; i < s.timestamps.length; i++) {
        lines.push(`${name}${labelText} ${formatValue(s.values[i])} ${(s.timestamps[i] / 1000).toFixed(3)}`);
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) {
    return '';
  }
  return `{${entries.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (value === Infinity) {
    return '+Inf';
  }
  if (value === -Infinity) {
    return '-Inf';
  }
  return String(value);
}
