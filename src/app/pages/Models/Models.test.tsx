import React from 'react';
import { screen, waitFor } from '@testing-library/react';
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

/**
 * GET retrain-requests as the backend answers it over the requests `stored` holds: with
 * newest=target, each target's newest (highest id), by target, `limit` a page after `cursor`;
 * otherwise the newest `limit` of all.
 */
function retrainRequestsRoute(stored: () => RetrainRequestView[]): FakeRoute {
  return ({ params }) => {
    const { newest, cursor, limit } = params as { newest?: string; cursor?: string; limit: number };
    const newestFirst = [...stored()].sort((a, b) => b.id - a.id);
    if (newest !== 'target') {
      return { data: { requests: newestFirst.slice(0, limit), expiresAfterMs: HOUR } };
    }
    const ofTarget = new Map<string, RetrainRequestView>();
    newestFirst.forEach((r) => r.target && !ofTarget.has(r.target) && ofTarget.set(r.target, r));
    const after = [...ofTarget.keys()].sort().filter((t) => cursor === undefined || t > cursor);
    const requests = after.slice(0, limit).map((t) => ofTarget.get(t)!);
    return { data: { requests, next: after.length > limit ? after[limit - 1] : null, expiresAfterMs: HOUR } };
  };
}

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

  it("shows what became of a target's retraining queued on another replica: expired, then queued again", async () => {
    setRole('Editor');
    const request = {
      id: 7,
      watch: 'latency',
      target: model.target,
      replica: 'pod-b',
      requestedBy: 'pod-a',
      requestedAt: 1_700_000_000_000,
      claimedBy: null,
      trained: null,
      failed: null,
    };
    let requests: RetrainRequestView[] = [{ ...request, state: 'expired', answeredAt: 1_700_003_660_000 }];
    const fetch = installFakeBackendSrv({
      [`GET ${pipelinePaths.models}`]: {
        data: { models: [model, { ...model, id: 2, target: 'latency{deployment="shop"}' }] },
      },
      [`GET ${pipelinePaths.retrainRequests}`]: retrainRequestsRoute(() => requests),
      [`POST ${pipelinePaths.retrain}`]: () => {
        requests = [{ ...request, id: 8, state: 'queued', answeredAt: null }, ...requests];
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
    expect(requestsTo(fetch, 'GET', pipelinePaths.retrainRequests)).toHaveLength(2);
  });

  it("shows each target's newest request after a Retrain all on more than 1,000 targets, every page read", async () => {
    setRole('Editor');
    // "Retrain all" queued each of 1,500 targets for pod-b, the first target's request the oldest.
    const fleet = Array.from({ length: 1500 }, (_, i) => `latency{pod="pod-${String(i).padStart(4, '0')}"}`);
    const requests = fleet.map((target, i) => requestOf(i + 1, target));
    const fetch = installFakeBackendSrv({
      // The backend lists at most 1,000 models.
      [`GET ${pipelinePaths.models}`]: {
        data: { models: fleet.slice(0, 1000).map((target, i) => ({ ...model, id: i + 1, target })) },
      },
      [`GET ${pipelinePaths.retrainRequests}`]: retrainRequestsRoute(() => requests),
    });
    renderPage();
    await screen.findByText('1000 models (the backend lists at most 1000)');
    for (const target of fleet.slice(0, 50)) {
      expect(await screen.findByTestId(testIds.models.retrainRequest(target))).toHaveTextContent('Queued for pod-b');
    }
    expect(requestsTo(fetch, 'GET', pipelinePaths.retrainRequests).map((r) => r.params)).toEqual([
      { newest: 'target', limit: 1000, cursor: undefined },
      { newest: 'target', limit: 1000, cursor: fleet[999] },
    ]);
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
      [`GET ${pipelinePaths.models}`]: {
        data: { models: requests.map((r) => ({ ...model, id: r.id, target: r.target! })) },
      },
      [`GET ${pipelinePaths.retrainRequests}`]: retrainRequestsRoute(() => requests),
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

  it('pages a fleet of models and filters them by target, the view kept in the URL', async () => {
    setRole('Editor');
    const fleet = Array.from({ length: 120 }, (_, i) => ({
      ...model,
      id: i + 1,
      target: `latency{pod="pod-${String(i).padStart(3, '0')}"}`,
    }));
    installFakeBackendSrv({ [`GET ${pipelinePaths.models}`]: { data: { models: fleet } } });
    renderPage('/models?page=3');
    await screen.findByText('120 models');
    expect(shownTargets()).toEqual(fleet.slice(100).map((m) => m.target));

    await userEvent.type(screen.getByLabelText('Filter models by target'), 'pod-05');
    expect(shownTargets()).toEqual(fleet.slice(50, 60).map((m) => m.target));
    expect(screen.getByText('10 of 120 models')).toBeInTheDocument();
    expect(locationSearch()).toEqual({ q: 'pod-05' });
  });
});
