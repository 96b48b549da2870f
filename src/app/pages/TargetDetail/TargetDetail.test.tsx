import React from 'react';
import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { pipelinePaths } from '../../api/pipeline';
import { PluginSettingsContext, type AppSettings } from '../../pluginSettings';
import { installFakeBackendSrv, type FakeReply } from '../../testUtils/fakeBackendSrv';
import { anomaly, target } from '../../testUtils/fixtures';
import { testIds } from '../../testIds';
import { TargetDetail } from './TargetDetail';

const id = 'latency{deployment="cart"}';
const detail = {
  target: target(id, { severity: 'high', failureModel: 'crash' }),
  series: {
    p99: [0, 1, 2].map((i) => ({
      t: 1_700_000_000_000 + i * 60_000,
      value: i === 2 ? 9 : 1,
      expected: 1,
      lower: 0.5,
      upper: 1.5,
      score: i === 2 ? 0.99 : 0.1,
    })),
  },
  anomalies: [anomaly(5, { target: id })],
  predictions: [],
  model: null,
};

function renderDetail(settings: AppSettings, reply: FakeReply = { data: detail }) {
  installFakeBackendSrv({
    [`GET ${pipelinePaths.target(id)}`]: reply,
    [`GET ${pipelinePaths.watches}`]: {
      data: {
        watches: [
          {
            name: 'latency',
            queries: { p99: 'histogram_quantile(0.99, rate(http_duration_bucket[5m]))' },
            targetLabels: ['deployment'],
            stepSeconds: 60,
            historySeconds: 86400,
            source: 'x',
            targets: 1,
            series: 1,
            degraded: false,
            lastError: null,
            lastProcessedAt: null,
            lastCycleAt: null,
            lastCycleSeconds: null,
          },
        ],
      },
    },
  });
  return render(
    <PluginSettingsContext.Provider value={settings}>
      <MemoryRouter
        initialEntries={[`/target/${encodeURIComponent(id)}`]}
        future={{ v7_startTransition: true, v7_relativeSplatPath: true }}
      >
        <Routes>
          <Route path="/target/:id" element={<TargetDetail />} />
        </Routes>
      </MemoryRouter>
    </PluginSettingsContext.Provider>
  );
}

describe('TargetDetail', () => {
  it('shows the series with its band, the anomalies, and links to Explore for the same range', async () => {
    renderDetail({ backendUrl: 'http://b:3001', prometheusDatasourceUid: 'prom' });
    expect(await screen.findByRole('img', { name: 'p99: 3 steps, 1 above the threshold' })).toBeInTheDocument();
    expect(screen.getByTestId(testIds.feedback.confirmed(5))).toBeInTheDocument();
    const explore = await screen.findByTestId(testIds.targetDetail.explore);
    const href = decodeURIComponent(explore.getAttribute('href') ?? '');
    expect(href).toContain('histogram_quantile(0.99, rate(http_duration_bucket[5m]))');
    expect(href).toContain('"from":"1700000000000","to":"1700000120000"');
  });

  it('says when the target is unknown', async () => {
    renderDetail(
      { backendUrl: 'http://b:3001' },
      { status: 404, data: { error: 'not_found', message: `no target "${id}"` } }
    );
    expect(await screen.findByText(`no target "${id}"`)).toBeInTheDocument();
  });
});
