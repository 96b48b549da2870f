import React from 'react';
import { render, screen } from '@testing-library/react';
import { config } from '@grafana/runtime';
import { pipelinePaths } from '../../api/pipeline';
import { PluginSettingsContext } from '../../pluginSettings';
import { installFakeBackendSrv, requestsTo } from '../../testUtils/fakeBackendSrv';
import { anomaly } from '../../testUtils/fixtures';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { FeedbackButtons } from './FeedbackButtons';

const user = setupUser();

const setRole = (orgRole: string) => {
  config.bootData.user = { ...config.bootData.user, orgRole } as typeof config.bootData.user;
};

function renderButtons(onChange = jest.fn()) {
  render(
    <PluginSettingsContext.Provider value={{ backendUrl: 'http://backend:3001' }}>
      <FeedbackButtons anomaly={anomaly(11)} onChange={onChange} />
    </PluginSettingsContext.Provider>
  );
  return onChange;
}

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
    installFakeBackendSrv({
      [`POST ${pipelinePaths.feedback(11)}`]: { status: 409, data: { message: 'anomaly 11 is closed' } },
    });
    renderButtons();
    await user.click(screen.getByTestId(testIds.feedback.falsePositive(11)));
    expect(await screen.findByRole('alert')).toHaveTextContent('anomaly 11 is closed');
    expect(screen.getByTestId(testIds.feedback.falsePositive(11))).toBeEnabled();
  });

  it('disables both buttons for Viewers', () => {
    setRole('Viewer');
    installFakeBackendSrv({});
    renderButtons();
    expect(screen.getByTestId(testIds.feedback.falsePositive(11))).toBeDisabled();
    expect(screen.getByTestId(testIds.feedback.confirmed(11))).toBeDisabled();
  });
});
