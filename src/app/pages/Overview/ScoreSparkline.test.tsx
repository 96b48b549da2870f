import React from 'react';
import { render, screen } from '@testing-library/react';
import type { FieldConfig, FieldSparkline } from '@grafana/data';
import { testIds } from '../../testIds';
import { ScoreSparkline } from './ScoreSparkline';

// uPlot needs a real canvas (the browser test draws the real sparkline): here, what it is handed.
jest.mock('@grafana/ui', () => ({
  ...jest.requireActual('@grafana/ui'),
  Sparkline: ({ sparkline, config }: { sparkline: FieldSparkline; config: FieldConfig }) => (
    <div
      data-testid="sparkline"
      data-x={sparkline.x?.values.join(',')}
      data-y={sparkline.y.values.join(',')}
      data-range={`${sparkline.y.state?.range?.min}-${sparkline.y.state?.range?.max}`}
      data-scale={`${config.min}-${config.max}`}
      data-steps={config.thresholds?.steps.map((s) => s.value).join(',')}
    />
  ),
}));

describe('ScoreSparkline', () => {
  it('draws the scores on a fixed 0–1 scale, turning at the threshold, and names them for who cannot see the line', () => {
    render(
      <ScoreSparkline
        id="cart"
        threshold={0.8}
        scores={[
          [1_700_000_000_000, 0.2],
          [1_700_000_300_000, 0.934],
          [1_700_000_600_000, 0.5],
        ]}
      />
    );
    const cell = screen.getByTestId(testIds.overviewSparkline.cell('cart'));
    expect(cell).toHaveAttribute('role', 'img');
    expect(cell).toHaveAccessibleName('Score over the last 10 min, max 0.93 (threshold 0.80)');
    const line = screen.getByTestId('sparkline');
    expect(line).toHaveAttribute('data-x', '1700000000000,1700000300000,1700000600000');
    expect(line).toHaveAttribute('data-y', '0.2,0.934,0.5');
    expect(line).toHaveAttribute('data-range', '0-1');
    expect(line).toHaveAttribute('data-scale', '0-1');
    expect(line).toHaveAttribute('data-steps', '-Infinity,0.8');
  });

  it('gives hours for a long span, and the same 0–1 scale for low scores', () => {
    render(
      <ScoreSparkline
        id="db"
        threshold={0.75}
        scores={[
          [0, 0.05],
          [9_000_000, 0.1],
        ]}
      />
    );
    expect(
      screen.getByRole('img', { name: 'Score over the last 2 h 30 min, max 0.10 (threshold 0.75)' })
    ).toBeInTheDocument();
    expect(screen.getByTestId('sparkline')).toHaveAttribute('data-range', '0-1');
    expect(screen.getByTestId('sparkline')).toHaveAttribute('data-steps', '-Infinity,0.75');
  });
});
