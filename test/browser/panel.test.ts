import type { Page } from 'playwright-core';
import { panelTestIds } from '../../src/panels/anomaly/testIds';
import { axeScan, browserSuite, screenshot, screenshotBothThemes, setTheme } from './harness';
import { interleavedRenders, median, openPanel, render } from './panel/renders';

jest.setTimeout(180_000);

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);
type Box = { x: number; y: number; width: number; height: number };

// Render times are not asserted here (they depend on the machine's load): `npm run bench -- panel`
// prints them, and benchmarks/RESULTS.md keeps them. This test checks the work each render does.
describe('the anomaly panel in a real browser', () => {
  const suite = browserSuite({ page: 'panel' });

  it('draws 10 series × 10,000 points with band, score, anomaly ranges and forecast, and a refresh scores only its new samples', async () => {
    const page = await suite.browser.newPage();
    await openPanel(page, suite.grafana.url, 10, 10_000);

    // The first render scores every sample; 'identical' keeps the data the refreshes will continue.
    const first = await render(page, 'identical');
    await byTestId(page, panelTestIds.container).waitFor();
    expect(await page.locator('canvas').count()).toBeGreaterThan(0);
    expect(first.samplesScored).toBe(100_000);

    const runs = await interleavedRenders(page, 3);
    const scored = (variant: keyof typeof runs) => runs[variant].map((r) => r.samplesScored);
    // A refresh moves the range by 4 samples (REFRESH_SAMPLES in panel/entry.tsx): 4 new per series.
    expect(scored('refresh')).toEqual([40, 40, 40]);
    // Fresh frames holding the same samples score none; a resize does not even run detection.
    expect(scored('identical')).toEqual([0, 0, 0]);
    expect(runs['same-data'].map((r) => r.phases.detect)).toEqual([undefined, undefined, undefined]);
    // Every value changed: every sample is scored again.
    expect(scored('cold')).toEqual([100_000, 100_000, 100_000]);
    // And scoring 40 samples takes less than scoring 100,000 (a relation, true on any machine).
    const detectMs = (variant: keyof typeof runs) => median(runs[variant].map((r) => r.phases.detect));
    expect(detectMs('refresh')).toBeLessThan(detectMs('cold'));

    const summary = byTestId(page, panelTestIds.summary);
    await expect(summary.textContent()).resolves.toMatch(/anomal/);
    await expect(byTestId(page, panelTestIds.anomalyList).textContent()).resolves.toMatch(/(above|below) the band/);
    // The leaking series, within the forecast horizon, labelled as the browser's estimate.
    await expect(byTestId(page, panelTestIds.timeToFailure).textContent()).resolves.toMatch(
      /^Time to failure \(browser estimate\): node-1 crosses 0.95 in \d+ h/
    );
    await page.close();
  });

  it('follows the theme, shows a tooltip on hover, and passes an accessibility scan in dark and light', async () => {
    const page = await suite.browser.newPage();
    await openPanel(page, suite.grafana.url, 3, 3000);
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
    await openPanel(page, suite.grafana.url, 3, 3000);
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

  it('keeps every layer key entry inside a narrow panel, above the plot, by wrapping it', async () => {
    const page = await suite.browser.newPage();
    await openPanel(page, suite.grafana.url, 3, 3000, 360);
    await render(page, 'cold');
    const key = byTestId(page, panelTestIds.layerKey);
    await key.waitFor();
    const panel = (await page.getByRole('region', { name: 'Anomaly panel' }).boundingBox())!;
    const keyBox = (await key.boundingBox())!;
    const inside = (b: Box, outer: Box) =>
      b.x >= outer.x - 0.5 &&
      b.y >= outer.y - 0.5 &&
      b.x + b.width <= outer.x + outer.width + 0.5 &&
      b.y + b.height <= outer.y + outer.height + 0.5;
    const items = key.locator('li');
    const labels = await items.allTextContents();
    // Band, forecast, limit, score threshold and anomaly: all five on this data (no crossing in range).
    expect(labels).toEqual([
      expect.stringMatching(/^Expected band/),
      expect.stringMatching(/^Forecast/),
      expect.stringMatching(/^Limit/),
      expect.stringMatching(/^Score threshold/),
      expect.stringMatching(/^Anomaly/),
    ]);
    for (let i = 0; i < labels.length; i++) {
      const box = (await items.nth(i).boundingBox())!;
      expect({ label: labels[i], inPanel: inside(box, panel), inKey: inside(box, keyBox) }).toEqual({
        label: labels[i],
        inPanel: true,
        inKey: true,
      });
    }
    // The plot gives the key the height it took: it starts below the key and ends inside the panel.
    const plot = (await page.locator('.u-over').first().boundingBox())!;
    expect(plot.y).toBeGreaterThanOrEqual(keyBox.y + keyBox.height - 0.5);
    const container = (await byTestId(page, panelTestIds.container).boundingBox())!;
    expect(container.y + container.height).toBeLessThanOrEqual(panel.y + panel.height + 0.5);
    await screenshotBothThemes(page, 'panel-layers-narrow');
    await page.close();
  });
});
