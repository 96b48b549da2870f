import { useEffect, useState } from 'react';
import {
  anomaliesResponseSchema,
  MAX_PAGE_LIMIT,
  targetsResponseSchema,
  type Anomaly,
  type Target,
} from '../../contract/pipeline';
import { targetDetailSchema } from '../../contract/targetDetail';
import { backendRequest } from '../../app/api/backend';
import { MAX_PAGES, readPages } from '../../app/api/pipeline';
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
      const notes: string[] = [];
      const matched = await matchSeries(series, watch);
      if (!matched.complete) {
        notes.push(
          `the watch "${watch}" lists more than ${MAX_PAGES * MAX_PAGE_LIMIT} targets; the panel looked for its series among the first ${MAX_PAGES * MAX_PAGE_LIMIT} only`
        );
      }
      const ids = [...new Set([...matched.bySeries.values()].map((t) => t.id))];
      const details = await Promise.all(
        ids.map(async (id) => {
          const [detail, anomalies] = await Promise.all([
            backendRequest(`api/targets/${encodeURIComponent(id)}`, targetDetailSchema),
            anomaliesOf(id, fromMs, toMs),
          ]);
          if (!anomalies.complete) {
            notes.push(
              `${id} has more than ${MAX_PAGES * MAX_PAGE_LIMIT} anomalies in the time range; the panel shows the latest ${MAX_PAGES * MAX_PAGE_LIMIT}`
            );
          }
          return [id, { detail, anomalies: anomalies.anomalies }] as const;
        })
      );
      const byId = new Map(details);
      const bySeries = new Map<number, BackendSeries>();
      matched.bySeries.forEach((target, i) => {
        const d = byId.get(target.id)!;
        bySeries.set(i, {
          // A target no longer scored when its detail was read keeps the listing's view of it.
          target: d.detail.scored === false ? target : d.detail.target,
          signal,
          points: d.detail.series[signal] ?? [],
          anomalies: d.anomalies,
        });
      });
      return { bySeries, error: notes.length > 0 ? notes.join('; ') : undefined };
    })().then(
      (found) => !cancelled && setState({ key: `${watch}/${signal}`, ...found }),
      (err: Error) => !cancelled && setState({ key: `${watch}/${signal}`, bySeries: new Map(), error: err.message })
    );
    return () => {
      cancelled = true;
    };
  }, [series, watch, signal, fromMs, toMs]);

  // An answer for another signal (or none wanted any more) must not be shown.
  return watch && signal && state.key === `${watch}/${signal}` ? state : EMPTY;
}

/**
 * The target each series is, read from the watch's targets page by page (MAX_PAGE_LIMIT a page):
 * a watch on hundreds of nodes lists them over several pages, and the API cannot be asked for the
 * targets of given labels. Reading stops as soon as every series up to the MAX_TARGETS-th target is
 * matched (an earlier series may still be on a later page until then), at the last page, or after
 * MAX_PAGES pages (`complete` false: series on the pages left are not matched). Series match in
 * their order, as before: the first MAX_TARGETS distinct targets are kept.
 */
async function matchSeries(
  series: PanelSeries[],
  watch: string
): Promise<{ bySeries: Map<number, Target>; complete: boolean }> {
  const found = new Map<number, Target>();
  const settled = () => {
    const ids = new Set<string>();
    for (let i = 0; i < series.length && ids.size < MAX_TARGETS; i++) {
      const t = found.get(i);
      if (!t) {
        return false;
      }
      ids.add(t.id);
    }
    return true;
  };
  const complete = await readPages(
    (cursor) =>
      backendRequest('api/targets', targetsResponseSchema, {
        params: { watch, limit: MAX_PAGE_LIMIT, ...(cursor === undefined ? {} : { cursor }) },
      }),
    ({ targets }) => {
      series.forEach((s, i) => {
        if (!found.has(i)) {
          const t = matchTarget(s, targets);
          if (t) {
            found.set(i, t);
          }
        }
      });
      return settled();
    }
  );
  const bySeries = new Map<number, Target>();
  const ids = new Set<string>();
  series.forEach((_, i) => {
    const t = found.get(i);
    if (t && (ids.has(t.id) || ids.size < MAX_TARGETS)) {
      ids.add(t.id);
      bySeries.set(i, t);
    }
  });
  return { bySeries, complete };
}

/** A target's anomalies overlapping the time range, newest first, every page of them up to MAX_PAGES. */
async function anomaliesOf(
  target: string,
  fromMs: number,
  toMs: number
): Promise<{ anomalies: Anomaly[]; complete: boolean }> {
  const anomalies: Anomaly[] = [];
  const complete = await readPages(
    (cursor) =>
      backendRequest('api/anomalies', anomaliesResponseSchema, {
        params: {
          target,
          from: Math.max(0, Math.floor(fromMs)),
          to: Math.floor(toMs),
          limit: MAX_PAGE_LIMIT,
          ...(cursor === undefined ? {} : { cursor }),
        },
      }),
    (page) => {
      anomalies.push(...page.anomalies);
    }
  );
  return { anomalies, complete };
}
