/**
 * Anomaly panel render times (issue 7): 10 series × 10,000 points, every layer on, in Debian's
 * headless Chromium, the page of the browser test (test/browser/panel/entry.tsx). Four kinds of
 * render interleaved, medians of 7 (see benchmarks/RESULTS.md, "Panel"). FP_PROFILE=1 also prints
 * Chromium's CPU profile of three renders of each kind, self time by function.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/browser/harness/browser';
import { bundlePage } from '../test/browser/harness/bundle';
import { startGrafanaStub } from '../test/browser/harness/grafanaStub';
import {
  interleavedRenders,
  median,
  medianPhases,
  openPanel,
  render,
  VARIANTS,
  type Render,
  type Variant,
} from '../test/browser/panel/renders';

const ROUNDS = 7;

const rounded = (phases: Record<string, number>) =>
  Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, Math.round(v)]));

function summarise(renders: Render[]) {
  return {
    medianMs: Math.round(median(renders.map((r) => r.ms))),
    runsMs: renders.map((r) => Math.round(r.ms)),
    phasesMs: rounded(medianPhases(renders)),
  };
}

/** Chromium's CPU profile of three renders of a variant: where the time goes, by function. */
async function profile(page: Page, variant: Variant): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  for (let i = 0; i < 3; i++) {
    await render(page, variant);
  }
  const { profile: cpu } = (await cdp.send('Profiler.stop')) as {
    profile: {
      nodes: Array<{ id: number; callFrame: { functionName: string; lineNumber: number; url: string } }>;
      samples: number[];
      timeDeltas: number[];
    };
  };
  const byNode = new Map(cpu.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  cpu.samples.forEach((id, i) => {
    const { functionName, lineNumber, url } = byNode.get(id)!.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (cpu.timeDeltas[i] ?? 0) / 1000 / 3);
  });
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40);
  console.log(
    `CPU profile, self ms per ${variant} render:\n${top.map(([k, v]) => `${v.toFixed(1).padStart(7)}  ${k}`).join('\n')}`
  );
}

export async function run(): Promise<void> {
  const bundleDir = await bundlePage(join(__dirname, '../test/browser/panel/entry.tsx'), 'panel-bench');
  const grafana = await startGrafanaStub({
    bundleDir,
    settings: { enabled: true, pinned: true, jsonData: {}, secureJsonData: {} },
  });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await openPanel(page, grafana.url, 10, 10_000);
    const loadBefore = loadavg()[0];
    const first = await render(page, 'identical');
    const runs = await interleavedRenders(page, ROUNDS);
    const report = {
      load: `${loadBefore.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
      first: { ms: Math.round(first.ms), phasesMs: rounded(first.phases) },
      newData: summarise(runs.refresh),
      sameData: summarise(runs['same-data']),
      identicalData: summarise(runs.identical),
      coldData: summarise(runs.cold),
    };
    console.log(`  anomaly panel render, 10 series × 10,000 points (medians of ${ROUNDS}):`);
    console.log(JSON.stringify(report, null, 2));
    if (process.env.FP_PROFILE) {
      for (const variant of VARIANTS) {
        await profile(page, variant);
      }
    }
  } finally {
    await browser.close();
    await grafana.close();
  }
}
