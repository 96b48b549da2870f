import type uPlot from 'uplot';
import { createTheme } from '@grafana/data';
import type { Crossing } from '../model/analysis';
import { drawOverlays } from './overlays';

/** Text drawn on a canvas double, with the alignment it was drawn with; text is 6 px a character wide. */
function canvas() {
  const texts: Array<{ text: string; align: string }> = [];
  const none = () => undefined;
  const ctx = {
    textAlign: 'left',
    measureText: (text: string) => ({ width: text.length * 6 }),
    fillText(text: string) {
      texts.push({ text, align: this.textAlign });
    },
    ...Object.fromEntries(
      ['save', 'restore', 'beginPath', 'rect', 'clip', 'fillRect', 'moveTo', 'lineTo', 'stroke', 'setLineDash'].map(
        (op) => [op, none]
      )
    ),
  };
  // One pixel a second, on a plot 600 px wide.
  const u = { ctx, bbox: { left: 0, top: 0, width: 600, height: 200 }, valToPos: (ms: number) => ms / 1000 };
  return { u: u as unknown as uPlot, texts };
}

const crossing = (source: Crossing['source'], atMs: number): Crossing & { name: string } => ({
  name: 'cpu',
  source,
  limit: 0.95,
  direction: 'above',
  atMs,
  earliestMs: atMs - 30_000,
  latestMs: atMs + 30_000,
  fromMs: 0,
  seconds: atMs / 1000,
});

describe('drawOverlays', () => {
  const theme = createTheme();

  it('labels a crossing the browser estimated, and keeps a label that would overflow inside the plot', () => {
    const { u, texts } = canvas();
    drawOverlays(u, { ranges: [], crossings: [crossing('browser', 400_000), crossing('backend', 100_000)] }, theme);
    expect(texts).toEqual([
      // 40 characters, 240 px: from x = 400 it would end past the right edge, so it ends at the line.
      { text: 'cpu reaches the limit (browser estimate)', align: 'right' },
      { text: 'cpu reaches the limit', align: 'left' },
    ]);
  });

  it('labels a limit crossed when the forecast was made as crossed, not as reached later', () => {
    const { u, texts } = canvas();
    const crossed = { ...crossing('backend', 100_000), fromMs: 100_000, seconds: 0, direction: 'below' as const };
    drawOverlays(u, { ranges: [], crossings: [crossed] }, theme);
    expect(texts).toEqual([{ text: 'cpu already below the limit', align: 'left' }]);
  });
});
