import React from 'react';
import { Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { ROUTES } from '../constants';
import { Actions } from './pages/Actions/Actions';
import { AuditLog } from './pages/AuditLog/AuditLog';
import { Models } from './pages/Models/Models';
import { Overview } from './pages/Overview/Overview';
import { TargetDetail } from './pages/TargetDetail/TargetDetail';
import { PluginSettingsContext, type AppSettings } from './pluginSettings';

function App({ meta }: AppRootProps<AppSettings>) {
  return (
    <PluginSettingsContext.Provider value={meta.jsonData ?? {}}>
      <Routes>
        <Route path={`${ROUTES.Overview}/*`} element={<Overview />} />
        <Route path={`${ROUTES.Actions}/*`} element={<Actions />} />
        <Route path={`${ROUTES.Target}/:id`} element={<TargetDetail />} />
        <Route path={`${ROUTES.Audit}/*`} element={<AuditLog />} />
        <Route path={`${ROUTES.Models}/*`} element={<Models />} />
        {/* The default page for the app root and any unknown path; a relative redirect from a splat route would loop. */}
        <Route path="*" element={<Overview />} />
      </Routes>
    </PluginSettingsContext.Provider>
  );
}

export default App;
