import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { config } from '@grafana/runtime';
import type { Anomaly } from '../../../contract/pipeline';
import { pipelinePaths } from '../../api/pipeline';
import { EDITOR_ONLY_REASON } from '../../permissions';
import { PluginSettingsContext } from '../../pluginSettings';
import { installFakeBackendSrv, requestsTo } from '../../testUtils/fakeBackendSrv';
import { anomaly } from '../../testUtils/fixtures';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { FEEDBACK_TAKES_EFFECT, FeedbackButtons } from './FeedbackButtons';

const user = setupUser();

const setRole = (orgRole: string) => {
  config.bootData.user = { ...config.bootData.user, orgRole } as typeof config.bootData.user;
};

const inSettings = (a: Anomaly, onChange?: (a: Anomaly) => void) => (
  <PluginSettingsContext.Provider value={{ backendUrl: 'http://backend:3001' }}>
    <FeedbackButtons anomaly={a} onChange={onChange} />
  </PluginSettingsContext.Provider>
);

function renderButtons(onChange = jest.fn()) {
  render(inSettings(anomaly(11), onChange));
  return onChange;
}

const feedback = (kind: 'confirmed' | 'false_positive', user: string, at: number): Anomaly['feedback'][number] => ({
  kind,
  source: 'operator',
  user,
  comment: null,
  at,
});

describe('FeedbackButtons', () => {
  beforeEach(() => setRole('Editor'));

  it('sends a confirmed incident and shows who said so', async () => {
    const confirmed = anomaly(11, {
      feedback: [{ kind: 'confirmed', source: 'operator', user: 'alice', comment: null, at: 1 }],
    });
    const fetch = installFakeBackendSrv({ [`POST ${pipelinePaths.feedback(11)}`]: { data: { anomaly: confirmed } } });
    const onChange = renderButtons();
    await user.click(screen.getByRole('button', { name: 'Mark anomaly 11 a confirmed incident' }));
    expect(requestsTo(fetch, 'POST', pipelinePaths.feedback(11))[0].data).toEqual({ kind: 'confirmed' });
    expect(await screen.findByText('Confirmed (alice)')).toBeInTheDocument();
    expect(onChange).toHaveBeenCalledWith(confirmed);
  });

  it('says why the feedback was not recorded, and keeps the buttons usable', async () => {
    // What the backend answers when the anomaly is not in its store (routes/pipeline.ts): it refuses nothing else.
    installFakeBackendSrv({
      [`POST ${pipelinePaths.feedback(11)}`]: {
        status: 404,
        data: { error: 'not_found', message: 'no anomaly with id 11' },
      },
    });
    renderButtons();
    await user.click(screen.getByTestId(testIds.feedback.falsePositive(11)));
    expect(await screen.findByRole('alert')).toHaveTextContent('no anomaly with id 11');
    expect(screen.queryByText(FEEDBACK_TAKES_EFFECT)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.feedback.falsePositive(11))).toBeEnabled();
  });

  it('says, once a mark is recorded, that it takes effect at the next retraining', async () => {
    const marked = anomaly(11, { feedback: [feedback('false_positive', 'alice', 1)] });
    installFakeBackendSrv({ [`POST ${pipelinePaths.feedback(11)}`]: { data: { anomaly: marked } } });
    renderButtons();
    expect(screen.queryByRole('status')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Mark anomaly 11 a false positive' }));
    expect(await screen.findByRole('status')).toHaveTextContent(
      'It takes effect when the model is next retrained: nightly (03:00 by default, pipeline.retrain) or with Retrain now on the Models page.'
    );
  });

  it('shows "False positive" with a muted bell (stop alerting), not a thumbs-up (good detection)', () => {
    installFakeBackendSrv({});
    renderButtons();
    const button = screen.getByTestId(testIds.feedback.falsePositive(11));
    expect(within(button).getByTestId('bell-slash')).toBeInTheDocument();
    expect(within(button).queryByTestId('thumbs-up')).not.toBeInTheDocument();
  });

  it('shows feedback from other users as the page refreshes the anomaly', () => {
    installFakeBackendSrv({});
    const { rerender } = render(inSettings(anomaly(11)));
    expect(screen.queryByText(/\(bob\)/)).not.toBeInTheDocument();
    rerender(inSettings(anomaly(11, { feedback: [feedback('false_positive', 'bob', 5)] })));
    expect(screen.getByText('False positive (bob)')).toBeInTheDocument();
    rerender(
      inSettings(anomaly(11, { feedback: [feedback('confirmed', 'carol', 9), feedback('false_positive', 'bob', 5)] }))
    );
    expect(screen.getByText('Confirmed (carol)')).toBeInTheDocument();
  });

  it("keeps the user's own feedback shown until the refreshed anomaly has it, then follows the anomaly", async () => {
    const mine = anomaly(11, { feedback: [feedback('confirmed', 'alice', 10)] });
    installFakeBackendSrv({ [`POST ${pipelinePaths.feedback(11)}`]: { data: { anomaly: mine } } });
    const { rerender } = render(inSettings(anomaly(11)));
    await user.click(screen.getByRole('button', { name: 'Mark anomaly 11 a confirmed incident' }));
    expect(await screen.findByText('Confirmed (alice)')).toBeInTheDocument();
    // A refresh that left before the feedback was recorded: the answer still stands.
    rerender(inSettings(anomaly(11, { feedback: [feedback('false_positive', 'bob', 5)] })));
    expect(screen.getByText('Confirmed (alice)')).toBeInTheDocument();
    // Then the anomaly catches up, and later feedback from someone else shows.
    rerender(inSettings(mine));
    expect(screen.getByText('Confirmed (alice)')).toBeInTheDocument();
    rerender(inSettings(anomaly(11, { feedback: [feedback('false_positive', 'bob', 20), ...mine.feedback] })));
    expect(screen.getByText('False positive (bob)')).toBeInTheDocument();
  });

  it('disables both buttons for Viewers', () => {
    setRole('Viewer');
    installFakeBackendSrv({});
    renderButtons();
    expect(screen.getByTestId(testIds.feedback.falsePositive(11))).toBeDisabled();
    expect(screen.getByTestId(testIds.feedback.confirmed(11))).toBeDisabled();
  });

  it("tells Viewers why they cannot give feedback, on screen and as the buttons' description", () => {
    setRole('Viewer');
    installFakeBackendSrv({});
    renderButtons();
    expect(screen.getByText(EDITOR_ONLY_REASON)).toBeVisible();
    for (const name of ['Mark anomaly 11 a false positive', 'Mark anomaly 11 a confirmed incident']) {
      expect(screen.getByRole('button', { name, description: EDITOR_ONLY_REASON })).toBeDisabled();
    }
    // No focusable wrapper whose label assistive technology would ignore.
    expect(screen.queryByLabelText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
  });

  it('gives Editors no reason text and no description', () => {
    installFakeBackendSrv({});
    renderButtons();
    expect(screen.queryByText(EDITOR_ONLY_REASON)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Mark anomaly 11 a false positive' })).not.toHaveAccessibleDescription();
  });
});
