import React, { type ReactElement } from 'react';
import { render, screen } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router-dom';
import { PluginSettingsContext } from '../pluginSettings';

/** The address bar, rendered beside a page under test: the search part of the router's location. */
function LocationSearch() {
  return <output data-testid="location-search">{useLocation().search}</output>;
}

/** Renders an app page at `url` (its search parameters are the page's view), with the address bar beside it. */
export function renderPageAt(url: string, page: ReactElement, backendUrl = 'http://b:3001') {
  return render(
    <MemoryRouter initialEntries={[url]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <PluginSettingsContext.Provider value={{ backendUrl }}>
        {page}
        <LocationSearch />
      </PluginSettingsContext.Provider>
    </MemoryRouter>
  );
}

/** The search parameters the address bar shows, as an object. */
export const locationSearch = () =>
  Object.fromEntries(new URLSearchParams(screen.getByTestId('location-search').textContent ?? ''));
