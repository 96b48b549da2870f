import type uPlot from 'uplot';
import { colorManipulator, type GrafanaTheme2 } from '@grafana/data';
import type { Severity } from '../../../detection';
import type { AnomalyRange, Crossing } from '../model/analysis';
import { estimateNote } from '../model/format';

export interface Overlays {
  ranges: AnomalyRange[];
  crossings: Array<Crossing & { name: string }>;
}

const SEVERITY_COLOR: Record<Severity, string> = { critical: 'red', high: 'orange', medium: 'yellow', low: 'blue' };

/** Theme colour of an anomaly's severity (names resolved by the theme, so both themes work). */
export function severityColor(theme: GrafanaTheme2, severity: Severity): string {
  return theme.visualization.getColorByName(SEVERITY_COLOR[severity]);
}

/**
 * Draws the anomaly regions and the predicted crossing on uPlot's canvas after the series: one
 * translucent region per range with a solid strip and "above"/"below" along its top, and for the
 * crossing a dashed line at the best estimate over a shaded earliest–latest span.
 */
export function drawOverlays(u: uPlot, overlays: Overlays, theme: GrafanaTheme2): void {
  const { ctx, bbox } = u;
  const px = devicePixelRatio || 1;
  const top = bbox.top;
  const bottom = bbox.top + bbox.height;
  const left = bbox.left;
  const right = bbox.left + bbox.width;
  const xOf = (ms: number) => Math.min(right, Math.max(left, u.valToPos(ms, 'x', true)));
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, bbox.width, bbox.height);
  ctx.clip();
  ctx.font = `${theme.typography.bodySmall.fontSize} ${theme.typography.fontFamily}`.replace(
    /(\d+(\.\d+)?)px/,
    (_, n) => `${Number(n) * px}px`
  );
  ctx.textBaseline = 'top';

  for (const range of overlays.ranges) {
    const x0 = xOf(range.startMs);
    const x1 = Math.max(xOf(range.endMs), x0 + 2 * px);
    if (x1 <= left || x0 >= right) {
      continue;
    }
    const color = severityColor(theme, range.severity);
    ctx.fillStyle = colorManipulator.alpha(color, 0.15);
    ctx.fillRect(x0, top, x1 - x0, bottom - top);
    ctx.fillStyle = color;
    ctx.fillRect(x0, top, x1 - x0, 3 * px);
    const label = range.side === 'above' ? '▲ above' : '▼ below';
    ctx.fillStyle = theme.colors.text.secondary;
    ctx.fillText(label, x0 + 2 * px, top + 5 * px);
  }

  for (const c of overlays.crossings) {
    if (!Number.isFinite(c.atMs) && !Number.isFinite(c.earliestMs)) {
      continue;
    }
    const color = theme.visualization.getColorByName('red');
    if (Number.isFinite(c.earliestMs)) {
      const x0 = xOf(c.earliestMs);
      const x1 = Number.isFinite(c.latestMs) ? xOf(c.latestMs) : right;
      ctx.fillStyle = colorManipulator.alpha(color, 0.08);
      ctx.fillRect(x0, top, Math.max(x1 - x0, px), bottom - top);
    }
    if (Number.isFinite(c.atMs)) {
      const x = xOf(c.atMs);
      ctx.strokeStyle = color;
      ctx.lineWidth = px;
      ctx.setLineDash([4 * px, 4 * px]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = theme.colors.text.primary;
      const label = `${c.name} ${c.seconds === 0 ? `already ${c.direction}` : 'reaches'} the limit${estimateNote(c.source)}`;
      ctx.textAlign = x + (4 * px + ctx.measureText(label).width) > right ? 'right' : 'left';
      ctx.fillText(label, x + (ctx.textAlign === 'right' ? -4 : 4) * px, bottom - 18 * px);
      ctx.textAlign = 'left';
    }
  }
  ctx.restore();
}
