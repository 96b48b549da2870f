/**
 * Renders of the anomaly panel page (test/browser/panel/entry.tsx) and what each one did: its time,
 * its phases' times (the panel's User Timing measures, src/panels/anomaly/perf.ts) and the samples
 * it scored. Shared by the browser test (which asserts the counts and relations) and the panel
 * benchmark (bench/panel.bench.ts, which prints the times).
 */
import type { Page } from 'playwright-core';

/** See RenderVariant in entry.tsx. */
export type Variant = 'refresh' | 'identical' | 'cold' | 'same-data';
export const VARIANTS: Variant[] = ['refresh', 'same-data', 'identical', 'cold'];

export interface Render {
  ms: number;
  /** Summed by phase, in ms. */
  phases: Record<string, number>;
  /** Samples the detectors ran on (0 when detection did not run at all). */
  samplesScored: number;
}

/** Opens the panel page with `series` × `points` (in a panel `width` px wide) and waits until it can render. */
export async function openPanel(
  page: Page,
  grafanaUrl: string,
  series: number,
  points: number,
  width = 1200
): Promise<void> {
  await page.goto(`${grafanaUrl}/?series=${series}&points=${points}&width=${width}`);
  await page.waitForFunction(
    () => typeof (window as unknown as { __renderPanel?: unknown }).__renderPanel === 'function'
  );
}

/** One render of a variant, and the measures it left. */
export async function render(page: Page, variant: Variant): Promise<Render> {
  const ms = await page.evaluate(
    (v) => (window as unknown as { __renderPanel: (x: string) => Promise<number> }).__renderPanel(v),
    variant
  );
  return { ms, ...(await takeMeasures(page)) };
}

/** The panel's measures since the last call, then cleared. */
function takeMeasures(page: Page): Promise<Omit<Render, 'ms'>> {
  return page.evaluate(() => {
    const phases: Record<string, number> = {};
    let samplesScored = 0;
    for (const m of performance.getEntriesByType('measure') as PerformanceMeasure[]) {
      if (m.name.startsWith('fp-anomaly:')) {
        const phase = m.name.slice('fp-anomaly:'.length);
        phases[phase] = (phases[phase] ?? 0) + m.duration;
        samplesScored += (m.detail as { samplesScored?: number } | null)?.samplesScored ?? 0;
      }
    }
    performance.clearMeasures();
    return { phases, samplesScored };
  });
}

/**
 * `rounds` renders of every variant, interleaved so a burst of load on the machine spreads over
 * all of them. The page must have rendered once ('identical' keeps the data refreshes continue).
 */
export async function interleavedRenders(page: Page, rounds: number): Promise<Record<Variant, Render[]>> {
  const runs: Record<Variant, Render[]> = { refresh: [], 'same-data': [], identical: [], cold: [] };
  for (let i = 0; i < rounds; i++) {
    for (const variant of VARIANTS) {
      runs[variant].push(await render(page, variant));
    }
    // A cold render leaves data the next refresh does not continue: one refresh to get back in step.
    await render(page, 'refresh');
  }
  return runs;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median of each phase over several renders. */
export function medianPhases(renders: Render[]): Record<string, number> {
  const names = new Set(renders.flatMap((r) => Object.keys(r.phases)));
  return Object.fromEntries([...names].map((n) => [n, median(renders.map((r) => r.phases[n] ?? 0))]));
}
