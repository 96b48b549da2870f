import React from 'react';
import { render, screen } from '@testing-library/react';
import type { BandPoint } from '../../../contract/pipeline';
import { BandChart } from './BandChart';

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
    expect(paths[0].getAttribute('d')).toBe('M0.0,120.0 L600.0,0.0');
    expect(container.querySelectorAll('circle')).toHaveLength(1);
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
