import React from 'react';
import { render, screen } from '@testing-library/react';
import { CONFIG_PAGE_URL } from '../../../constants';
import { PluginSettingsContext, type AppSettings } from '../../pluginSettings';
import { testIds } from '../../testIds';
import { NotConfiguredAlert, RequireBackend } from './NotConfigured';

function renderGuarded(settings: AppSettings) {
  render(
    <PluginSettingsContext.Provider value={settings}>
      <RequireBackend>
        <p>The watched targets</p>
      </RequireBackend>
    </PluginSettingsContext.Provider>
  );
}

describe('RequireBackend', () => {
  it('shows its children once a backend URL is configured', () => {
    renderGuarded({ backendUrl: 'http://backend:3001' });
    expect(screen.getByText('The watched targets')).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.backendStatus.notConfigured)).not.toBeInTheDocument();
  });

  it.each([
    ['no backend URL', {}],
    ['an empty backend URL', { backendUrl: '' }],
  ])('with %s, hides its children and says how to configure one', (_, settings: AppSettings) => {
    renderGuarded(settings);
    expect(screen.queryByText('The watched targets')).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.backendStatus.notConfigured)).toHaveTextContent('The backend is not configured');
  });
});

describe('NotConfiguredAlert', () => {
  it('tells what to set and links to the configuration page', () => {
    render(<NotConfiguredAlert />);
    expect(screen.getByText(/Set the backend URL and token in the app configuration/)).toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Open configuration/ })).toHaveAttribute('href', CONFIG_PAGE_URL);
  });
});
