import React from 'react';
import { render, screen } from '@testing-library/react';
import { PluginSettingsContext, type AppSettings } from '../../pluginSettings';
import { testIds } from '../../testIds';
import { BackendPage } from './BackendPage';

function renderPage(settings: AppSettings) {
  render(
    <PluginSettingsContext.Provider value={settings}>
      <BackendPage testId="the-page">
        <p>The models</p>
      </BackendPage>
    </PluginSettingsContext.Provider>
  );
}

describe('BackendPage', () => {
  it('shows its content inside its container once a backend is configured', () => {
    renderPage({ backendUrl: 'http://backend:3001' });
    expect(screen.getByTestId('the-page')).toContainElement(screen.getByText('The models'));
    expect(screen.queryByTestId(testIds.backendStatus.notConfigured)).not.toBeInTheDocument();
  });

  it('without a backend, keeps its container and says how to configure one instead of the content', () => {
    renderPage({});
    expect(screen.queryByText('The models')).not.toBeInTheDocument();
    expect(screen.getByTestId('the-page')).toContainElement(screen.getByTestId(testIds.backendStatus.notConfigured));
  });
});
