import React from 'react';
import { render, screen } from '@testing-library/react';
import type { BandPoint } from '../../../contract/pipeline';
import { BandChart } from './BandChart';

// Times in the user's zone, as Grafana resolves it.
jest.mock('@grafana/data', () => ({ ...jest.requireActual('@grafana/data'), getTimeZone: () => 'Asia/Kolkata' }));

const point = (t: number, value: number | null, score: number, band: [number, number] | null = [0, 4]): BandPoint => ({
  t,
  value,
  expected: value,
  lower: band ? band[0] : null,
  upper: band ? band[1] : null,
  score,
});

describe('BandChart', () => {
  it('draws the values inside the band on the shared scale and marks the steps at or above the threshold', () => {
    const { container } = render(
      <BandChart name="p99" threshold={0.8} points={[point(0, 1, 0.1), point(1000, 2, 0.8), point(2000, 3, 0.95)]} />
    );
    expect(screen.getByRole('img', { name: 'p99: 3 steps, 2 above the threshold' })).toBeInTheDocument();
    const [band, line] = Array.from(container.querySelectorAll('path')).map((p) => p.getAttribute('d'));
    // 0–4 spans the 120 px height, 0–2 s the 600 px width; y grows downwards.
    expect(band).toBe('M0.0,0.0 L300.0,0.0 L600.0,0.0 L600.0,120.0 L300.0,120.0 L0.0,120.0 Z');
    expect(line).toBe('M0.0,90.0 L300.0,60.0 L600.0,30.0');
    expect(
      Array.from(container.querySelectorAll('circle')).map((c) => [c.getAttribute('cx'), c.getAttribute('cy')])
    ).toEqual([
      ['300', '60'],
      ['600', '30'],
    ]);
  });

  it('skips missing values in the line and the marks, and draws no band where none was learned', () => {
    const { container } = render(
      <BandChart
        name="errors"
        threshold={0.5}
        points={[point(0, 0, 0.1, null), point(500, null, 0.9, null), point(1000, 10, 0.7, null)]}
      />
    );
    expect(screen.getByRole('img', { name: 'errors: 3 steps, 1 above the threshold' })).toBeInTheDocument();
    const paths = container.querySelectorAll('path');
    expect(paths).toHaveLength(1);
    // Each value stands alone between the gap: a dot (a zero-length subpath), not a line across the gap.
    expect(paths[0].getAttribute('d')).toBe('M0.0,120.0 h0 M600.0,0.0 h0');
    expect(container.querySelectorAll('circle')).toHaveLength(1);
  });

  it('breaks the line at a missing value instead of drawing straight across the gap', () => {
    const { container } = render(
      <BandChart
        name="p99"
        threshold={0.8}
        points={[point(0, 1, 0.1), point(1000, 2, 0.1), point(2000, null, 0), point(3000, 3, 0.1), point(4000, 4, 0.1)]}
      />
    );
    const [band, line] = Array.from(container.querySelectorAll('path')).map((p) => p.getAttribute('d'));
    expect(line).toBe('M0.0,90.0 L150.0,60.0 M450.0,30.0 L600.0,0.0');
    expect(line?.match(/M/g)).toHaveLength(2);
    // The band was learned at the step without a value: it goes on.
    expect(band?.match(/M/g)).toHaveLength(1);
  });

  it('breaks the line and the band where steps were left out (the target had no sample then)', () => {
    const { container } = render(
      <BandChart
        name="p99"
        threshold={0.8}
        points={[point(0, 1, 0.1), point(1000, 2, 0.1), point(3000, 3, 0.1), point(4000, 4, 0.1)]}
      />
    );
    const [band, line] = Array.from(container.querySelectorAll('path')).map((p) => p.getAttribute('d'));
    expect(line).toBe('M0.0,90.0 L150.0,60.0 M450.0,30.0 L600.0,0.0');
    expect(band).toBe(
      'M0.0,0.0 L150.0,0.0 L150.0,120.0 L0.0,120.0 Z M450.0,0.0 L600.0,0.0 L600.0,120.0 L450.0,120.0 Z'
    );
  });

  it('shows the band alone, and says so, when the signal has no value in the window', () => {
    const t0 = Date.UTC(2026, 11, 5, 9, 0);
    // What the backend sends for a signal without recent samples: no value, the learned band still set.
    const { container } = render(
      <BandChart
        name="p99"
        threshold={0.8}
        points={[0, 1, 2].map((i) => point(t0 + i * 60_000, null, 0, [0.3, 0.5]))}
      />
    );
    expect(screen.getByRole('img', { name: 'p99: 3 steps, none with a value' })).toBeInTheDocument();
    const paths = Array.from(container.querySelectorAll('path')).map((p) => p.getAttribute('d'));
    expect(paths).toEqual(['M0.0,0.0 L300.0,0.0 L600.0,0.0 L600.0,120.0 L300.0,120.0 L0.0,120.0 Z']);
    expect(container.querySelectorAll('circle')).toHaveLength(0);
    expect(screen.getByRole('figure')).toHaveTextContent(
      'No values in this window; normal at 2026-12-05 14:32:00 IST: 0.300 – 0.500'
    );
  });

  it("says when and how far from normal: the axes in the user's time zone and the highest-scoring step", () => {
    const t0 = Date.UTC(2026, 11, 5, 9, 0);
    const { rerender } = render(
      <BandChart
        name="p99"
        threshold={0.8}
        points={[
          point(t0, 0.4, 0.1, [0.3, 0.5]),
          point(t0 + 60_000, 2.4, 0.97, [0.3, 0.5]),
          point(t0 + 120_000, 0.45, 0.2, [0.3, 0.5]),
        ]}
      />
    );
    const figure = screen.getByRole('figure');
    // The value scale's ends, then the time axis' ends (Kolkata is UTC+5:30).
    expect(figure).toHaveTextContent(/^2\.400\.30012-05 14:30 IST12-05 14:32 IST/);
    expect(figure).toHaveTextContent(
      'Highest score 0.97 at 2026-12-05 14:31:00 IST: 2.40, normal 0.300 – 0.500, above the band'
    );
    rerender(
      <BandChart
        name="p99"
        threshold={0.8}
        points={[point(t0, 0.4, 0.1, [0.3, 0.5]), point(t0 + 60_000, 0.2, 0.5, [0.3, 0.5])]}
      />
    );
    expect(screen.getByRole('figure')).toHaveTextContent(
      'Latest at 2026-12-05 14:31:00 IST: 0.200, normal 0.300 – 0.500, below the band'
    );
  });

  it('draws nothing from fewer than two steps or from steps without any value', () => {
    const { container, rerender } = render(<BandChart name="p99" threshold={0.8} points={[point(0, 1, 0.9)]} />);
    expect(container).toBeEmptyDOMElement();
    rerender(
      <BandChart name="p99" threshold={0.8} points={[point(0, null, 0.9, null), point(1000, null, 0.9, null)]} />
    );
    expect(container).toBeEmptyDOMElement();
  });
});
