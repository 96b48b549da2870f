import React from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { ROUTES } from '../constants';
import { Overview } from './pages/Overview/Overview';
import { PluginSettingsContext, type AppSettings } from './pluginSettings';

function App({ meta }: AppRootProps<AppSettings>) {
  return (
    <PluginSettingsContext.Provider value={meta.jsonData ?? {}}>
      <Routes>
        <Route path={`${ROUTES.Overview}/*`} element={<Overview />} />
        <Route path="*" element={<Navigate to={ROUTES.Overview} replace />} />
      </Routes>
    </PluginSettingsContext.Provider>
  );
}

export default App;
