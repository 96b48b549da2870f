import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { config } from '@grafana/runtime';
import { pipelinePaths } from '../../api/pipeline';
import { anomaly } from '../../testUtils/fixtures';
import { installFakeBackendSrv, requestsTo } from '../../testUtils/fakeBackendSrv';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { AnomalyList } from './AnomalyList';

const user = setupUser();

describe('AnomalyList', () => {
  it('shows each anomaly in a row: target, start with its zone, severity, score, what moved', () => {
    render(
      <AnomalyList
        anomalies={[
          anomaly(2),
          anomaly(1, {
            state: 'closed',
            direction: 'none',
            severity: 'low',
            failureModel: 'byzantine',
            signals: ['errors', 'p99'],
          }),
        ]}
      />
    );
    const rows = within(screen.getByTestId(testIds.overview.anomalies)).getAllByRole('row').slice(1);
    expect(
      rows.map((r) =>
        within(r)
          .getAllByRole('cell')
          .slice(0, 5)
          .map((c) => c.textContent)
      )
    ).toEqual([
      [
        'latency{deployment="cart"} Open',
        '2023-11-14 22:13:20 UTC',
        'critical, resource exhaustion',
        '0.97',
        'p99 (above the band)',
      ],
      ['latency{deployment="cart"} ', '2023-11-14 22:13:20 UTC', 'low, byzantine', '0.97', 'errors, p99'],
    ]);
  });

  it('says where an episode peaked when the backend recorded it: when, which signal, its value against the expected', () => {
    const peak = { at: 1_700_000_300_000, signal: 'p99', value: 0.41234, expected: 0.18 };
    render(<AnomalyList anomalies={[anomaly(3, { peak }), anomaly(4, { peak: { ...peak, expected: null } })]} />);
    const rows = within(screen.getByTestId(testIds.overview.anomalies)).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[3].textContent)).toEqual([
      '0.97 at 2023-11-14 22:18:20 UTC: p99 0.412 (expected 0.180)',
      '0.97 at 2023-11-14 22:18:20 UTC: p99 0.412',
    ]);
  });

  it('sends feedback from the row it is given on', async () => {
    config.bootData.user = { ...config.bootData.user, orgRole: 'Editor' } as typeof config.bootData.user;
    const fetch = installFakeBackendSrv({
      [`POST ${pipelinePaths.feedback(2)}`]: {
        data: {
          anomaly: anomaly(2, {
            feedback: [
              { kind: 'false_positive', source: 'operator', user: 'ann', comment: null, at: 1_700_000_700_000 },
            ],
          }),
        },
      },
    });
    render(<AnomalyList anomalies={[anomaly(2)]} />);
    await user.click(screen.getByTestId(testIds.feedback.falsePositive(2)));
    expect(requestsTo(fetch, 'POST', pipelinePaths.feedback(2))[0].data).toEqual({ kind: 'false_positive' });
    expect(await screen.findByText('False positive (ann)')).toBeInTheDocument();
  });
});
