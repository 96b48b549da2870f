import React from 'react';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { config } from '@grafana/runtime';
import type { ModelVersion } from '../../../contract/pipeline';
import type { RetrainRequestView } from '../../../contract/retrainRequests';
import { pipelinePaths } from '../../api/pipeline';
import { EDITOR_ONLY_REASON } from '../../permissions';
import { installFakeBackendSrv, requestsTo, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { locationSearch, renderPageAt } from '../../testUtils/locationSearch';
import { testIds } from '../../testIds';
import { Models, RETIRED_REASON } from './Models';

const model: ModelVersion = {
  id: 1,
  watch: 'latency',
  target: 'latency{deployment="cart"}',
  version: 3,
  status: 'active',
  error: null,
  trainedAt: 1_700_000_000_000,
  rangeStart: 1_699_000_000_000,
  rangeEnd: 1_700_000_000_000,
  samples: 8640,
  params: {},
  threshold: 0.83,
  feedback: { falsePositive: 2, confirmed: 1 },
  reason: 'scheduled',
};

const setRole = (orgRole: string) =>
  (config.bootData.user = { ...config.bootData.user, orgRole } as typeof config.bootData.user);

const renderPage = (url = '/models') => renderPageAt(url, <Models />);

/** The targets of the rows shown, in order, read from their retrain buttons. */
const shownTargets = () =>
  Array.from(document.querySelectorAll('button[aria-label^="Retrain now: "]'), (b) =>
    b.getAttribute('aria-label')!.replace('Retrain now: ', '')
  );

const HOUR = 3_600_000;

/** The query the page sends GET api/models (the route reads `limit` from its digits). */
interface ModelsParams {
  status: string;
  requests: string;
  q?: string;
  sort: 'target' | 'trainedAt';
  order: 'asc' | 'desc';
  cursor?: string;
  limit: number;
}

/**
 * GET api/models as the backend answers it over the current models `fleet` holds: those whose
 * target holds `q` in any case, in the order asked (ties by id), `limit` from the row the cursor
 * names (here its number: the page treats a cursor as opaque), with the count and place of the page
 * and the newest of `requests` of each target on it.
 */
function modelsRoute(fleet: () => ModelVersion[], requests: () => RetrainRequestView[] = () => []): FakeRoute {
  return ({ params }) => {
    const { q, sort, order, cursor, limit } = params as ModelsParams;
    const value = (m: ModelVersion) => (sort === 'target' ? m.target : m.trainedAt);
    const rows = fleet()
      .filter((m) => !q || m.target.toLowerCase().includes(q.toLowerCase()))
      .sort((a, b) => (value(a) < value(b) ? -1 : value(a) > value(b) ? 1 : a.id - b.id));
    if (order === 'desc') {
      rows.reverse();
    }
    const offset = cursor === undefined ? 0 : Number(cursor);
    const models = rows.slice(offset, offset + limit);
    const newest = new Map<string, RetrainRequestView>();
    for (const r of [...requests()].sort((a, b) => b.id - a.id)) {
      if (r.target && models.some((m) => m.target === r.target) && !newest.has(r.target)) {
        newest.set(r.target, r);
      }
    }
    return {
      data: {
        models,
        total: rows.length,
        offset,
        next: offset + limit < rows.length ? String(offset + limit) : null,
        previous: offset > 0 ? String(Math.max(0, offset - limit)) : null,
        requests: [...newest.values()],
        expiresAfterMs: HOUR,
      },
    };
  };
}

/** The model of the `i`th target, pod-00000 on, each trained a minute before the one before: newest first is their order. */
const modelOf = (i: number): ModelVersion => ({
  ...model,
  id: i + 1,
  target: `latency{pod="pod-${String(i).padStart(5, '0')}"}`,
  trainedAt: model.trainedAt - i * 60_000,
});

const fleetOf = (n: number): ModelVersion[] => Array.from({ length: n }, (_, i) => modelOf(i));

/** A request of `target` queued by pod-a for pod-b, in `state`. */
const requestOf = (id: number, target: string, fields: Partial<RetrainRequestView> = {}): RetrainRequestView => ({
  id,
  watch: 'latency',
  target,
  replica: 'pod-b',
  requestedBy: 'pod-a',
  requestedAt: model.trainedAt - 2 * HOUR,
  state: 'queued',
  claimedBy: null,
  answeredAt: null,
  trained: null,
  failed: null,
  ...fields,
});

describe('Models', () => {
  it('shows each model with samples, threshold and feedback, and retrains one on request', async () => {
    setRole('Editor');
    const fetch = installFakeBackendSrv({
      [`GET ${pipelinePaths.models}`]: { data: { models: [model] } },
      [`POST ${pipelinePaths.retrain}`]: { data: { trained: 1, failed: [] } },
    });
    renderPage();
    expect(await screen.findByText('v3 (scheduled)')).toBeInTheDocument();
    expect(screen.getByText('8640')).toBeInTheDocument();
    expect(screen.getByText('0.83')).toBeInTheDocument();
    expect(screen.getByText('1 model')).toBeInTheDocument();
    // An Editor is given no reason, and the buttons no description.
    expect(screen.queryByText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.models.retrainAll)).not.toHaveAccessibleDescription();
    expect(screen.getByTestId(testIds.models.retrain(model.target))).not.toHaveAccessibleDescription();
    await userEvent.click(screen.getByTestId(testIds.models.retrain(model.target)));
    expect(requestsTo(fetch, 'POST', pipelinePaths.retrain)[0].data).toEqual({ target: model.target });
    expect(await screen.findByText('Retrained 1 model.')).toBeInTheDocument();
  });

  it('says when there are no models, and gives a Viewer the reason beside the disabled Retrain all', async () => {
    setRole('Viewer');
    const fetch = installFakeBackendSrv({ [`GET ${pipelinePaths.models}`]: { data: { models: [] } } });
    renderPage();
    expect(await screen.findByTestId(testIds.models.empty)).toBeInTheDocument();
    expect(screen.getByText(EDITOR_ONLY_REASON)).toBeVisible();
    const all = screen.getByRole('button', { name: 'Retrain all now', description: EDITOR_ONLY_REASON });
    expect(all).toBeDisabled();
    await userEvent.click(all);
    expect(requestsTo(fetch, 'POST', pipelinePaths.retrain)).toHaveLength(0);
  });

  it("gives a Viewer the reason as every retrain button's description: none can be used", async () => {
    setRole('Viewer');
    const fetch = installFakeBackendSrv({
      [`GET ${pipelinePaths.models}`]: {
        data: { models: [model, { ...model, id: 2, target: 'latency{deployment="shop"}' }] },
      },
    });
    renderPage();
    await screen.findByText('2 models');
    // One reason on the page describes them all; no focusable wrapper labelled by it.
    expect(screen.getAllByText(EDITOR_ONLY_REASON)).toHaveLength(1);
    expect(screen.queryByLabelText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
    for (const name of ['Retrain all now', `Retrain now: ${model.target}`, 'Retrain now: latency{deployment="shop"}']) {
      const button = screen.getByRole('button', { name, description: EDITOR_ONLY_REASON });
      expect(button).toBeDisabled();
      await userEvent.click(button);
      button.focus();
      await userEvent.keyboard('{Enter} ');
    }
    expect(requestsTo(fetch, 'POST', pipelinePaths.retrain)).toHaveLength(0);
  });

  it("labels the feedback columns as what this version was trained with, and lists each target's current model", async () => {
    setRole('Editor');
    const fetch = installFakeBackendSrv({ [`GET ${pipelinePaths.models}`]: { data: { models: [model] } } });
    renderPage();
    await screen.findByText('v3 (scheduled)');
    expect(screen.getByRole('columnheader', { name: 'False positives used in this version' })).toBeInTheDocument();
    expect(screen.getByRole('columnheader', { name: 'Confirmed used in this version' })).toBeInTheDocument();
    expect(requestsTo(fetch, 'GET', pipelinePaths.models)[0].params).toMatchObject({ status: 'current' });
  });

  it('marks a retired model (its target gone) and disables its Retrain button with the reason', async () => {
    setRole('Editor');
    const gone = { ...model, id: 2, target: 'latency{deployment="gone"}', status: 'retired' as const };
    const fetch = installFakeBackendSrv({ [`GET ${pipelinePaths.models}`]: { data: { models: [model, gone] } } });
    renderPage();
    await screen.findByText('2 models');
    expect(screen.getAllByText('Retired')).toHaveLength(1);
    const button = screen.getByRole('button', { name: `Retrain now: ${gone.target}`, description: RETIRED_REASON });
    expect(button).toBeDisabled();
    expect(screen.getByText(RETIRED_REASON)).toBeVisible();
    await userEvent.click(button);
    expect(requestsTo(fetch, 'POST', pipelinePaths.retrain)).toHaveLength(0);
    expect(screen.getByTestId(testIds.models.retrain(model.target))).toBeEnabled();
  });

  it('says what was retrained here and what was queued for the replicas holding the rest', async () => {
    setRole('Editor');
    installFakeBackendSrv({
      [`GET ${pipelinePaths.models}`]: { data: { models: [model] } },
      [`POST ${pipelinePaths.retrain}`]: (request) => ({
        status: 202,
        data: (request.data as { target?: string }).target
          ? { trained: 0, failed: [], queued: [{ replica: 'pod-b', targets: 1 }] }
          : { trained: 6, failed: [], queued: [{ replica: 'pod-b', targets: 2 }] },
      }),
    });
    renderPage();
    await userEvent.click(await screen.findByTestId(testIds.models.retrainAll));
    expect(
      await screen.findByText(
        'Retrained 6 models here. Queued 2 targets for pod-b: the replica holding each target retrains it after its next cycle; each row says when it has run or expired.'
      )
    ).toBeInTheDocument();
    expect(screen.getByText('Retrained')).toBeInTheDocument();
    await userEvent.click(screen.getByTestId(testIds.models.retrain(model.target)));
    expect(
      await screen.findByText(
        'Queued 1 target for pod-b: the replica holding each target retrains it after its next cycle; each row says when it has run or expired.'
      )
    ).toBeInTheDocument();
    expect(screen.getByText('Retraining queued')).toBeInTheDocument();
  });

  it("shows what became of a target's retraining queued on another replica, read with the page: expired, then queued again", async () => {
    setRole('Editor');
    let requests: RetrainRequestView[] = [
      requestOf(7, model.target, { requestedAt: 1_700_000_000_000, state: 'expired', answeredAt: 1_700_003_660_000 }),
    ];
    const fetch = installFakeBackendSrv({
      [`GET ${pipelinePaths.models}`]: modelsRoute(
        () => [model, { ...model, id: 2, target: 'latency{deployment="shop"}' }],
        () => requests
      ),
      [`POST ${pipelinePaths.retrain}`]: () => {
        requests = [requestOf(8, model.target, { requestedAt: 1_700_000_000_000 }), ...requests];
        return { status: 202, data: { trained: 0, failed: [], queued: [{ replica: 'pod-b', targets: 1 }] } };
      },
    });
    renderPage();
    const state = await screen.findByTestId(testIds.models.retrainRequest(model.target));
    expect(state).toHaveTextContent('Retraining expired');
    // Only the target asked for carries a state.
    expect(screen.queryByTestId(testIds.models.retrainRequest('latency{deployment="shop"}'))).not.toBeInTheDocument();
    await userEvent.click(screen.getByTestId(testIds.models.retrain(model.target)));
    await waitFor(() =>
      expect(screen.getByTestId(testIds.models.retrainRequest(model.target))).toHaveTextContent('Queued for pod-b')
    );
    // The page's own read carries its targets' requests: nothing lists every target's.
    expect(requestsTo(fetch, 'GET', pipelinePaths.models).map((r) => r.params)).toEqual([
      expect.objectContaining({ status: 'current', requests: 'true' }),
      expect.objectContaining({ status: 'current', requests: 'true' }),
    ]);
    expect(fetch.mock.calls.filter(([r]) => r.url.includes('retrain-requests'))).toHaveLength(0);
  });

  it('pages 100,000 models by the cursors the backend gives, saying which of them it shows, the page kept in the URL', async () => {
    setRole('Editor');
    const fleet = fleetOf(100_000);
    const requests = [
      requestOf(1, fleet[60].target),
      requestOf(2, fleet[20].target, { state: 'expired', answeredAt: model.trainedAt + HOUR }),
    ];
    const fetch = installFakeBackendSrv({
      [`GET ${pipelinePaths.models}`]: modelsRoute(
        () => fleet,
        () => requests
      ),
    });
    renderPage();
    expect(await screen.findByText('Showing 1–50 of 100,000 models')).toBeInTheDocument();
    expect(shownTargets()).toEqual(fleet.slice(0, 50).map((m) => m.target));
    expect(screen.getByTestId(testIds.models.retrainRequest(fleet[20].target))).toHaveTextContent('Retraining expired');
    const pages = screen.getByRole('navigation', { name: 'Pages of models' });
    expect(within(pages).getByRole('button', { name: 'First' })).toBeDisabled();
    expect(within(pages).getByRole('button', { name: 'Previous' })).toBeDisabled();

    await userEvent.click(within(pages).getByRole('button', { name: 'Next' }));
    expect(await screen.findByText('Showing 51–100 of 100,000 models')).toBeInTheDocument();
    expect(shownTargets()).toEqual(fleet.slice(50, 100).map((m) => m.target));
    expect(screen.getByTestId(testIds.models.retrainRequest(fleet[60].target))).toHaveTextContent('Queued for pod-b');
    expect(locationSearch()).toEqual({ cursor: '50' });
    expect(requestsTo(fetch, 'GET', pipelinePaths.models).map((r) => r.params)).toEqual([
      { status: 'current', requests: 'true', sort: 'trainedAt', order: 'desc', limit: 50 },
      { status: 'current', requests: 'true', sort: 'trainedAt', order: 'desc', limit: 50, cursor: '50' },
    ]);

    await userEvent.click(screen.getByRole('button', { name: 'Previous' }));
    expect(await screen.findByText('Showing 1–50 of 100,000 models')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'First' })).toBeEnabled();
    await userEvent.click(screen.getByRole('button', { name: 'First' }));
    await waitFor(() => expect(locationSearch()).toEqual({}));
  });

  it('filters and sorts on the backend, starting again from the first page, the view kept in the URL', async () => {
    setRole('Editor');
    const fleet = fleetOf(1200);
    const fetch = installFakeBackendSrv({ [`GET ${pipelinePaths.models}`]: modelsRoute(() => fleet) });
    renderPage('/models?cursor=100');
    expect(await screen.findByText('Showing 101–150 of 1,200 models')).toBeInTheDocument();

    await userEvent.type(screen.getByLabelText('Filter models by target'), 'POD-0105');
    expect(await screen.findByText('10 models')).toBeInTheDocument();
    expect(shownTargets()).toEqual(fleet.slice(1050, 1060).map((m) => m.target));
    expect(locationSearch()).toEqual({ q: 'POD-0105' });

    await userEvent.click(screen.getByRole('radio', { name: 'Oldest trained' }));
    await waitFor(() =>
      expect(shownTargets()).toEqual(
        fleet
          .slice(1050, 1060)
          .map((m) => m.target)
          .reverse()
      )
    );
    expect(locationSearch()).toEqual({ q: 'POD-0105', order: 'asc' });

    await userEvent.clear(screen.getByLabelText('Filter models by target'));
    await userEvent.click(screen.getByRole('radio', { name: 'Target Z–A' }));
    expect(await screen.findByText('Showing 1–50 of 1,200 models')).toBeInTheDocument();
    expect(shownTargets()).toEqual(
      fleet
        .slice(1150)
        .map((m) => m.target)
        .reverse()
    );
    expect(locationSearch()).toEqual({ sort: 'target' });
    expect(requestsTo(fetch, 'GET', pipelinePaths.models).at(-1)!.params).toEqual({
      status: 'current',
      requests: 'true',
      sort: 'target',
      order: 'desc',
      limit: 50,
    });
    await userEvent.type(screen.getByLabelText('Filter models by target'), 'nowhere');
    expect(await screen.findByText('No models match this filter')).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.models.empty)).not.toBeInTheDocument();
  });

  it('shows no failed or expired retraining answered before the model shown was trained', async () => {
    setRole('Editor');
    const [expiredBefore, failedBefore, failedAfter, expiredAfter, queuedBefore] = [1, 2, 3, 4, 5].map(
      (n) => `latency{pod="p${n}"}`
    );
    const failed = (target: string) => [{ target, error: 'no samples in the history range' }];
    const requests = [
      // The nightly retraining (or a later click) trained the model shown after these were answered.
      requestOf(1, expiredBefore, { state: 'expired', answeredAt: model.trainedAt - HOUR }),
      requestOf(2, failedBefore, {
        state: 'done',
        claimedBy: 'pod-c',
        answeredAt: model.trainedAt - 60_000,
        trained: 0,
        failed: failed(failedBefore),
      }),
      // Answered after it: still news.
      requestOf(3, failedAfter, {
        state: 'done',
        claimedBy: 'pod-c',
        answeredAt: model.trainedAt + 60_000,
        trained: 0,
        failed: failed(failedAfter),
      }),
      requestOf(4, expiredAfter, { state: 'expired', answeredAt: model.trainedAt + HOUR }),
      // Asked before it, but not answered yet: it still runs.
      requestOf(5, queuedBefore),
    ];
    installFakeBackendSrv({
      [`GET ${pipelinePaths.models}`]: modelsRoute(
        () => requests.map((r) => ({ ...model, id: r.id, target: r.target! })),
        () => requests
      ),
    });
    renderPage();
    expect(await screen.findByTestId(testIds.models.retrainRequest(queuedBefore))).toHaveTextContent(
      'Queued for pod-b'
    );
    expect(screen.getByTestId(testIds.models.retrainRequest(failedAfter))).toHaveTextContent(
      'Queued retraining failed'
    );
    expect(screen.getByTestId(testIds.models.retrainRequest(expiredAfter))).toHaveTextContent('Retraining expired');
    expect(screen.queryByTestId(testIds.models.retrainRequest(expiredBefore))).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.models.retrainRequest(failedBefore))).not.toBeInTheDocument();
  });
});
