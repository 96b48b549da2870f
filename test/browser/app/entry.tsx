// The browser test page for the app: mounts the real AppPlugin from src/module.tsx (root page
// and config tabs) inside the harness' Grafana shell, at the URLs Grafana would use:
//   /a/<plugin-id>/...            the app's pages
//   /plugins/<plugin-id>?page=<id> a config tab
import React from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Route, Routes } from 'react-router-dom';
import { PluginType, type AppPluginMeta, type AppRootProps } from '@grafana/data';
import { installGrafanaRuntime, harness } from '../harness/client/runtime';
import { GrafanaShell } from '../harness/client/GrafanaShell';

installGrafanaRuntime();

async function main() {
  // Imported after the runtime is installed, as Grafana loads a plugin into a running app.
  const { plugin } = await import('../../../src/module');
  const meta = {
    id: harness.pluginId,
    name: 'Failure Prophet',
    type: PluginType.app,
    module: '',
    baseUrl: '',
    info: {
      author: { name: '' },
      description: '',
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '',
    },
    ...harness.settings,
  } as AppPluginMeta;
  plugin.meta = meta;

  const appBase = `/a/${harness.pluginId}`;
  const path = window.location.pathname;
  let content: React.ReactNode;
  if (path.startsWith(appBase)) {
    const Root = plugin.root as React.ComponentType<AppRootProps>;
    content = (
      // As in Grafana: no basename, the app mounted under /a/<id>/*, its links carrying full paths.
      <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <Routes>
          <Route
            path={`${appBase}/*`}
            element={<Root meta={meta} basename={appBase} query={{}} path={appBase} onNavChanged={() => undefined} />}
          />
        </Routes>
      </BrowserRouter>
    );
  } else {
    const pageId = new URLSearchParams(window.location.search).get('page') ?? plugin.configPages?.[0]?.id;
    const pages = plugin.configPages ?? [];
    const page = pages.find((p) => p.id === pageId) ?? pages[0];
    content = (
      <>
        <nav aria-label="Configuration tabs">
          {pages.map((p) => (
            <a
              key={p.id}
              href={`?page=${p.id}`}
              aria-current={p.id === page.id ? 'page' : undefined}
              style={{ marginRight: 16 }}
            >
              {p.title}
            </a>
          ))}
        </nav>
        <h1>Failure Prophet configuration</h1>
        <page.body plugin={plugin} query={{}} />
      </>
    );
  }
  createRoot(document.getElementById('root')!).render(<GrafanaShell>{content}</GrafanaShell>);
}

main();
