// The browser test page for the anomaly panel: mounts the real PanelPlugin component from
// src/panels/anomaly/module.tsx as a dashboard would (PanelProps, a panel context with an event
// bus for the shared crosshair) on N synthetic series, and records how long each render takes
// until uPlot has drawn. Query string: ?series=10&points=10000 (points in the time range) and
// optionally &width=400 (the panel's width in px, 1200 by default).
import React from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';
import {
  dateTime,
  EventBusSrv,
  FieldType,
  getDisplayProcessor,
  LoadingState,
  toDataFrame,
  type DataFrame,
  type PanelProps,
} from '@grafana/data';
import { config } from '@grafana/runtime';
import { PanelContextProvider } from '@grafana/ui';
import { installGrafanaRuntime } from '../harness/client/runtime';
import { GrafanaShell } from '../harness/client/GrafanaShell';
import type { AnomalyPanelOptions } from '../../../src/panels/anomaly/types';

installGrafanaRuntime();

const STEP_MS = 15_000;
const END_MS = Date.UTC(2025, 0, 8, 12);
/** Samples a refresh adds (and drops from the start): a 1-minute dashboard refresh of a 15 s scrape. */
const REFRESH_SAMPLES = 4;
/** Refreshes the generated data allows. */
const MAX_REFRESHES = 50;

/** Deterministic series: daily shape and noise, a spike up, a dip down, and one series rising to its limit. */
function makeFrames(count: number, points: number): DataFrame[] {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const time = Array.from({ length: points }, (_, i) => END_MS - (points - 1 - i) * STEP_MS);
  return Array.from({ length: count }, (_, s) => {
    const values = time.map((t, i) => {
      const daily = 0.1 * Math.sin((2 * Math.PI * (t % 86_400_000)) / 86_400_000 + s);
      let v = 0.4 + 0.03 * s + daily + 0.02 * (random() + random() + random() - 1.5);
      if (i > points * 0.55 && i < points * 0.55 + 12 + s) {
        v += 0.25;
      }
      if (i > points * 0.75 && i < points * 0.75 + 20) {
        v -= 0.2;
      }
      // A leak the panel's forecast sees crossing 0.95 a few hours after a 10,000-point range ends,
      // within the quarter of the range it forecasts; a 3,000-point range ends too early to see it.
      if (s === 0 && i > points * 0.85) {
        v += 0.0003 * (i - points * 0.85);
      }
      return v;
    });
    const frame = toDataFrame({
      refId: 'A',
      fields: [
        { name: 'Time', type: FieldType.time, values: time },
        {
          name: 'Value',
          type: FieldType.number,
          values,
          labels: { instance: `node-${s + 1}` },
          config: { unit: 'percentunit', color: { mode: 'palette-classic' } },
        },
      ],
    });
    frame.fields[1].state = { seriesIndex: s };
    return frame;
  });
}

const params = new URLSearchParams(window.location.search);
const points = Number(params.get('points') ?? 10_000);
const panelWidth = Number(params.get('width') ?? 1200);
/** All the data the refreshes will reveal; the panel sees `points` of it at a time. */
const history = makeFrames(Number(params.get('series') ?? 10), points + REFRESH_SAMPLES * MAX_REFRESHES);

/** The time range after `refreshes` refreshes: fresh frames of `points` samples, as a query returns them. */
function windowAt(refreshes: number, scale = 1): DataFrame[] {
  const from = REFRESH_SAMPLES * refreshes;
  return history.map((frame) => ({
    ...frame,
    length: points,
    fields: frame.fields.map((f) => ({
      ...f,
      values:
        f.type === FieldType.number && scale !== 1
          ? f.values.slice(from, from + points).map((v: number) => v * scale)
          : f.values.slice(from, from + points),
    })),
  }));
}
const options: AnomalyPanelOptions = {
  showLegend: true,
  layers: { band: true, score: true, anomalies: true, forecast: true },
  sensitivity: 50,
  detector: 'failureprophet',
  source: 'browser',
  forecastLimit: 0.95,
  forecastDirection: 'above',
};

/**
 * refresh: a dashboard refresh, the range moved by REFRESH_SAMPLES (the new samples are scored);
 * identical: fresh frames with the same samples (nothing is scored); cold: every value changed
 * (every sample is scored, as on a first load or a new query); same-data: a resize by 20 px.
 */
type RenderVariant = 'refresh' | 'identical' | 'cold' | 'same-data';

declare global {
  interface Window {
    __renderPanel: (variant: RenderVariant) => Promise<number>;
  }
}

async function main() {
  const { plugin } = await import('../../../src/panels/anomaly/module');
  const Panel = plugin.panel as React.ComponentType<PanelProps<AnomalyPanelOptions>>;
  const eventBus = new EventBusSrv();
  const rangeOf = (series: DataFrame[]) => ({
    from: dateTime(series[0].fields[0].values[0]),
    to: dateTime(series[0].fields[0].values[points - 1]),
    raw: { from: 'now-2d', to: 'now' },
  });
  type HostProps = { series: DataFrame[]; width: number };
  let setHostProps: (p: HostProps) => void = () => undefined;

  // The shell (theme, styles) is mounted once, as in Grafana; only the panel's props change.
  function PanelHost() {
    const [{ series, width }, set] = React.useState<HostProps>({ series: [], width: panelWidth });
    setHostProps = set;
    const timeRange = React.useMemo(() => (series.length > 0 ? rangeOf(series) : undefined), [series]);
    if (!timeRange) {
      return null;
    }
    return (
      <PanelContextProvider value={{ eventsScope: 'global', eventBus }}>
        <section aria-label="Anomaly panel" style={{ width, height: 500 }}>
          <Panel
            id={1}
            data={{ series, state: LoadingState.Done, timeRange }}
            timeRange={timeRange}
            timeZone="utc"
            options={options}
            fieldConfig={fieldConfig}
            width={width}
            height={500}
            transparent={false}
            renderCounter={0}
            title="Anomalies"
            eventBus={eventBus}
            onOptionsChange={noop}
            onFieldConfigChange={noop}
            replaceVariables={identity}
            onChangeTimeRange={noop}
          />
        </section>
      </PanelContextProvider>
    );
  }

  createRoot(document.getElementById('root')!).render(
    <GrafanaShell>
      <h1 style={{ fontSize: 16 }}>Anomaly panel</h1>
      <PanelHost />
    </GrafanaShell>
  );

  let refreshes = 0;
  let colds = 0;
  let current = withDisplay(windowAt(refreshes));
  let width = panelWidth;
  /**
   * Milliseconds from handing React the panel's new props to uPlot having drawn: React renders
   * and commits synchronously (flushSync), uPlot draws in the microtask it queues on commit.
   */
  window.__renderPanel = async (variant) => {
    if (variant === 'refresh') {
      current = withDisplay(windowAt(++refreshes));
    } else if (variant === 'identical') {
      current = withDisplay(windowAt(refreshes));
    } else if (variant === 'cold') {
      current = withDisplay(windowAt(refreshes, 1 + 0.001 * ++colds));
    } else {
      width = width === panelWidth ? panelWidth - 20 : panelWidth;
    }
    const start = performance.now();
    flushSync(() => setHostProps({ series: current, width }));
    await Promise.resolve();
    await new Promise((resolve) => setTimeout(resolve, 0));
    return performance.now() - start;
  };
}

const noop = () => undefined;
const identity = (s: string) => s;
const fieldConfig = { defaults: {}, overrides: [] };

/** Grafana gives panels frames whose fields carry display processors (units, decimals). */
function withDisplay(series: DataFrame[]): DataFrame[] {
  for (const frame of series) {
    for (const field of frame.fields) {
      field.display ??= getDisplayProcessor({ field, theme: config.theme2 });
    }
  }
  return series;
}

main();
