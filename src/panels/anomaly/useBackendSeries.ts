import { useEffect, useState } from 'react';
import { anomaliesResponseSchema, targetsResponseSchema } from '../../contract/pipeline';
import { targetDetailSchema } from '../../contract/targetDetail';
import { backendRequest } from '../../app/api/backend';
import { matchTarget, parseBackendSignal, type BackendSeries } from './model/backend';
import type { PanelSeries } from './model/series';
import type { ScoreSource } from './types';

/** Targets fetched in detail at most per panel, so a broad query cannot fan out into hundreds of calls. */
const MAX_TARGETS = 20;

export interface BackendState {
  /** Backend data by series index, for the series the backend watches. */
  bySeries: Map<number, BackendSeries>;
  /** Why the backend could not be asked (not configured, unreachable, refused), in words. */
  error?: string;
}

const EMPTY: BackendState = { bySeries: new Map() };

/**
 * Asks the backend, through the app's plugin proxy (GET routes are open to Viewers), which of the
 * panel's series it watches under `watch/signal`, and fetches their band points and the anomalies
 * overlapping the time range.
 */
export function useBackendSeries(
  series: PanelSeries[],
  source: ScoreSource,
  backendSignal: string | undefined,
  fromMs: number,
  toMs: number
): BackendState {
  const [state, setState] = useState<BackendState & { key?: string }>(EMPTY);
  const wanted = source !== 'browser' ? parseBackendSignal(backendSignal) : undefined;
  const watch = wanted?.watch;
  const signal = wanted?.signal;

  useEffect(() => {
    if (!watch || !signal || series.length === 0) {
      return;
    }
    let cancelled = false;
    (async () => {
      const { targets } = await backendRequest('api/targets', targetsResponseSchema, { params: { watch } });
      const matched = new Map<number, (typeof targets)[number]>();
      series.forEach((s, i) => {
        const t = matchTarget(s, targets);
        if (t && new Set([...matched.values()].map((m) => m.id)).size < MAX_TARGETS) {
          matched.set(i, t);
        }
      });
      const ids = [...new Set([...matched.values()].map((t) => t.id))];
      const details = await Promise.all(
        ids.map(async (id) => {
          const [detail, anomalies] = await Promise.all([
            backendRequest(`api/targets/${encodeURIComponent(id)}`, targetDetailSchema),
            backendRequest('api/anomalies', anomaliesResponseSchema, {
              params: { target: id, from: Math.max(0, Math.floor(fromMs)), to: Math.floor(toMs) },
            }),
          ]);
          return [id, { detail, anomalies: anomalies.anomalies }] as const;
        })
      );
      const byId = new Map(details);
      const bySeries = new Map<number, BackendSeries>();
      matched.forEach((target, i) => {
        const d = byId.get(target.id)!;
        bySeries.set(i, {
          // A target no longer scored when its detail was read keeps the listing's view of it.
          target: d.detail.scored === false ? target : d.detail.target,
          signal,
          points: d.detail.series[signal] ?? [],
          anomalies: d.anomalies,
        });
      });
      return bySeries;
    })().then(
      (bySeries) => !cancelled && setState({ key: `${watch}/${signal}`, bySeries }),
      (err: Error) => !cancelled && setState({ key: `${watch}/${signal}`, bySeries: new Map(), error: err.message })
    );
    return () => {
      cancelled = true;
    };
  }, [series, watch, signal, fromMs, toMs]);

  // An answer for another signal (or none wanted any more) must not be shown.
  return watch && signal && state.key === `${watch}/${signal}` ? state : EMPTY;
}
