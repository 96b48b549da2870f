import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { panelTestIds } from '../../src/panels/anomaly/testIds';
import { axeScan, browserSuite, screenshot, screenshotBothThemes, setTheme } from './harness';

jest.setTimeout(180_000);

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** See RenderVariant in panel/entry.tsx. */
type Variant = 'refresh' | 'identical' | 'cold' | 'same-data';

const render = (page: Page, variant: Variant) =>
  page.evaluate(
    (v) => (window as unknown as { __renderPanel: (x: string) => Promise<number> }).__renderPanel(v),
    variant
  );

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The panel's User Timing measures (src/panels/anomaly/perf.ts) since the last call, summed by phase, in ms. */
const takePhases = (page: Page) =>
  page.evaluate(() => {
    const out: Record<string, number> = {};
    for (const m of performance.getEntriesByType('measure')) {
      if (m.name.startsWith('fp-anomaly:')) {
        const phase = m.name.slice('fp-anomaly:'.length);
        out[phase] = (out[phase] ?? 0) + m.duration;
      }
    }
    performance.clearMeasures();
    return out;
  });

/** Median of each phase over several renders. */
function medianPhases(runs: Array<Record<string, number>>): Record<string, number> {
  const names = new Set(runs.flatMap((r) => Object.keys(r)));
  return Object.fromEntries([...names].map((n) => [n, Math.round(median(runs.map((r) => r[n] ?? 0)))]));
}

/**
 * FP_PROFILE=1: Chromium's CPU profile of a few renders of a variant, self time by function,
 * printed (for finding where the time goes; not an assertion).
 */
async function profile(page: Page, variant: Variant) {
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

describe('the anomaly panel in a real browser', () => {
  const suite = browserSuite({ page: 'panel' });

  it('draws 10 series × 10,000 points with band, score, anomaly ranges and forecast, and reports its render time', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/?series=10&points=10000`);
    await page.waitForFunction(
      () => typeof (window as unknown as { __renderPanel?: unknown }).__renderPanel === 'function'
    );

    // The first render scores every sample; 'identical' keeps the data the refreshes will continue.
    const first = await render(page, 'identical');
    await byTestId(page, panelTestIds.container).waitFor();
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);

    const firstPhases = await takePhases(page);
    const runs: Record<Variant, { ms: number[]; phases: Array<Record<string, number>> }> = {
      refresh: { ms: [], phases: [] },
      'same-data': { ms: [], phases: [] },
      identical: { ms: [], phases: [] },
      cold: { ms: [], phases: [] },
    };
    // Interleaved, so a burst of load on the machine spreads over every variant.
    for (let i = 0; i < 7; i++) {
      for (const variant of Object.keys(runs) as Variant[]) {
        runs[variant].ms.push(await render(page, variant));
        runs[variant].phases.push(await takePhases(page));
      }
      // A cold render leaves data the next refresh does not continue: one refresh to get back in step.
      await render(page, 'refresh');
      await takePhases(page);
    }
    const summarise = (v: Variant) => ({
      medianMs: Math.round(median(runs[v].ms)),
      runsMs: runs[v].ms.map(Math.round),
      phasesMs: medianPhases(runs[v].phases),
    });
    const report = {
      loadAverage: loadavg().map((x) => Number(x.toFixed(2))),
      first: { ms: Math.round(first), phasesMs: medianPhases([firstPhases]) },
      newData: summarise('refresh'),
      sameData: summarise('same-data'),
      identicalData: summarise('identical'),
      coldData: summarise('cold'),
    };
    if (process.env.FP_PROFILE) {
      for (const variant of Object.keys(runs) as Variant[]) {
        await profile(page, variant);
      }
    }
    // The figures issue 7 asks about, printed for the CI log and benchmarks/RESULTS.md.
    console.log(`anomaly panel render, 10 series × 10,000 points: ${JSON.stringify(report)}`);
    // Issue 7 asks for < 100 ms for new data (a refresh) and same data (a resize); these bounds only
    // catch a gross regression on CI's loaded 2-core machine, where renders take up to 2× longer.
    expect(report.newData.medianMs).toBeLessThan(300);
    expect(report.sameData.medianMs).toBeLessThan(250);
    expect(report.identicalData.medianMs).toBeLessThan(300);
    expect(report.coldData.medianMs).toBeLessThan(500);
    // A refresh scores only the new samples; identical data and a resize score nothing.
    expect(report.newData.phasesMs.detect).toBeLessThan(report.coldData.phasesMs.detect);
    expect(report.sameData.phasesMs.detect ?? 0).toBe(0);

    const summary = byTestId(page, panelTestIds.summary);
    await expect(summary.textContent()).resolves.toMatch(/anomal/);
    await expect(byTestId(page, panelTestIds.anomalyList).textContent()).resolves.toMatch(/(above|below) the band/);
    await expect(byTestId(page, panelTestIds.timeToFailure).textContent()).resolves.toMatch(
      /Time to failure: node-\d+ crosses 0.95 in/
    );
    await page.close();
  });

  it('follows the theme, shows a tooltip on hover, and passes an accessibility scan in dark and light', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/?series=3&points=3000`);
    await page.waitForFunction(
      () => typeof (window as unknown as { __renderPanel?: unknown }).__renderPanel === 'function'
    );
    await render(page, 'cold');
    await byTestId(page, panelTestIds.container).waitFor();

    const overlay = page.locator('.u-over').first();
    const box = (await overlay.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.56, box.y + box.height / 2);
    await expect(
      page
        .getByText(/score \d\.\d\d/)
        .first()
        .isVisible()
    ).resolves.toBe(true);
    await screenshot(page, 'panel-dark');
    await page.mouse.move(0, 0);
    expect(await axeScan(page)).toEqual([]);

    await setTheme(page, 'light');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).not.toBe('rgb(17, 18, 23)');
    await screenshot(page, 'panel-light');
    expect(await axeScan(page)).toEqual([]);
    await page.close();
  });

  it('labels its layers: a legend entry for band, forecast, limit and score threshold, and says where scores come from', async () => {
    const page = await suite.browser.newPage();
    await page.goto(`${suite.grafana.url}/?series=3&points=3000`);
    await page.waitForFunction(
      () => typeof (window as unknown as { __renderPanel?: unknown }).__renderPanel === 'function'
    );
    await render(page, 'cold');
    const key = byTestId(page, panelTestIds.layerKey);
    await key.waitFor();
    await expect(byTestId(page, panelTestIds.layerKeyItem('band')).textContent()).resolves.toMatch(/Expected band/);
    await expect(byTestId(page, panelTestIds.layerKeyItem('forecast')).textContent()).resolves.toMatch(/Forecast/);
    // The limit in the series' unit (percent), and which side of it is failure.
    await expect(byTestId(page, panelTestIds.layerKeyItem('limit')).textContent()).resolves.toMatch(
      /^Limit [\d.]+% \(failure when (above|below)\)$/
    );
    await expect(byTestId(page, panelTestIds.layerKeyItem('scoreThreshold')).textContent()).resolves.toMatch(
      /^Score threshold 0\.\d\d$/
    );
    // The source badge says what it means, and its tooltip explains it.
    const source = byTestId(page, panelTestIds.source);
    await expect(source.textContent()).resolves.toBe('Scored in browser');
    await source.hover();
    await page
      .getByRole('tooltip')
      .getByText(/Scored in your browser by the detection library/)
      .waitFor();
    await screenshotBothThemes(page, 'panel-layers');
    await page.close();
  });
});
