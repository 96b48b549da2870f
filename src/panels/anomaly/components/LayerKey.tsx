import React from 'react';
import { css } from '@emotion/css';
import { colorManipulator, type GrafanaTheme2 } from '@grafana/data';
import { useStyles2 } from '@grafana/ui';
import type { SeriesAnalysis } from '../model/analysis';
import { estimateNote } from '../model/format';
import { panelTestIds } from '../testIds';
import type { AnomalyLayers } from '../types';

/** Pixel height of one line of the key: what the panel reserves until it has measured the key. */
export const LAYER_KEY_HEIGHT = 22;

export type LayerKeyItem = 'band' | 'forecast' | 'limit' | 'crossing' | 'scoreThreshold' | 'anomaly';

interface Props {
  analyses: SeriesAnalysis[];
  layers: AnomalyLayers;
  /** The score above which a step is anomalous (the dashed line on the score axis). */
  threshold: number;
}

/**
 * A legend entry for each layer drawn besides the series (Grafana's legend lists only series):
 * what each shaded area and dashed line means, with its value where it has one. On a narrow panel
 * the entries wrap onto more lines (the panel measures the key and gives the graph the rest).
 */
export function LayerKey({ analyses, layers, threshold }: Props) {
  const styles = useStyles2(getStyles);
  const crossing = layers.forecast ? analyses.find((a) => a.forecast?.crossing)?.forecast?.crossing : undefined;
  const limitText = crossing ? analyses[0].series.field.display?.(crossing.limit) : undefined;
  const items: Array<{ item: LayerKeyItem; label: string; swatch: string }> = [];
  if (layers.band) {
    items.push({ item: 'band', label: 'Expected band (learned normal range)', swatch: styles.band });
  }
  if (layers.forecast && analyses.some((a) => a.forecast)) {
    // The path is always the browser's: beside backend scores, say so.
    const besideBackend = analyses.some((a) => a.source === 'backend' && a.forecast);
    const label = `Forecast and its range${besideBackend ? estimateNote('browser') : ''}`;
    items.push({ item: 'forecast', label, swatch: styles.forecast });
  }
  if (crossing && limitText) {
    const limit = `${limitText.prefix ?? ''}${limitText.text}${limitText.suffix ?? ''}`;
    items.push({ item: 'limit', label: `Limit ${limit} (failure when ${crossing.direction})`, swatch: styles.limit });
    if (Number.isFinite(crossing.atMs)) {
      items.push({ item: 'crossing', label: `Predicted crossing${crossingNote(analyses)}`, swatch: styles.crossing });
    }
  }
  if (layers.score) {
    items.push({ item: 'scoreThreshold', label: `Score threshold ${threshold.toFixed(2)}`, swatch: styles.score });
  }
  if (layers.anomalies && analyses.some((a) => a.ranges.length > 0)) {
    items.push({ item: 'anomaly', label: 'Anomaly (▲ above / ▼ below the band)', swatch: styles.anomaly });
  }
  if (items.length === 0) {
    return null;
  }
  return (
    <ul className={styles.key} aria-label="Layers" data-testid={panelTestIds.layerKey}>
      {items.map(({ item, label, swatch }) => (
        <li key={item} className={styles.item} data-testid={panelTestIds.layerKeyItem(item)}>
          <span className={swatch} aria-hidden />
          {label}
        </li>
      ))}
    </ul>
  );
}

/** What the key adds about the crossings drawn: all the browser's, or mixed with the backend's (the graph then marks each). */
function crossingNote(analyses: SeriesAnalysis[]): string {
  const sources = new Set(
    analyses.flatMap((a) =>
      a.forecast?.crossing && Number.isFinite(a.forecast.crossing.atMs) ? [a.forecast.crossing.source] : []
    )
  );
  if (!sources.has('browser')) {
    return '';
  }
  return sources.has('backend') ? ' (browser estimate where marked)' : estimateNote('browser');
}

const getStyles = (theme: GrafanaTheme2) => {
  const swatch = { display: 'inline-block', width: 18, height: 10, flexShrink: 0 };
  const dashed = (color: string) => ({
    ...swatch,
    height: 0,
    borderTop: `2px dashed ${color}`,
  });
  return {
    key: css({
      display: 'flex',
      flexWrap: 'wrap',
      alignItems: 'center',
      columnGap: theme.spacing(2),
      minHeight: LAYER_KEY_HEIGHT,
      margin: 0,
      padding: 0,
      listStyle: 'none',
      fontSize: theme.typography.bodySmall.fontSize,
      color: theme.colors.text.secondary,
    }),
    item: css({ display: 'inline-flex', alignItems: 'center', gap: theme.spacing(0.5) }),
    band: css({ ...swatch, background: colorManipulator.alpha(theme.colors.text.primary, 0.2) }),
    forecast: css(dashed(theme.colors.text.primary)),
    limit: css(dashed(theme.visualization.getColorByName('red'))),
    crossing: css({ ...swatch, width: 0, borderLeft: `2px dashed ${theme.visualization.getColorByName('red')}` }),
    score: css(dashed(theme.visualization.getColorByName('orange'))),
    anomaly: css({ ...swatch, background: colorManipulator.alpha(theme.visualization.getColorByName('red'), 0.3) }),
  };
};
