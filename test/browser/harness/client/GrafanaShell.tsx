import React, { useEffect, useState, type ReactNode } from 'react';
import { createTheme, ThemeContext } from '@grafana/data';
import { config } from '@grafana/runtime';
import { GlobalStyles, PortalContainer } from '@grafana/ui';

type Mode = 'light' | 'dark';

/**
 * What Grafana wraps a plugin in: the theme (switchable from a test with
 * `window.__setTheme('light' | 'dark')`), Grafana's global styles and the portal that modals
 * and menus render into.
 */
export function GrafanaShell({ children }: { children: ReactNode }) {
  const [mode, setMode] = useState<Mode>(config.theme2.isLight ? 'light' : 'dark');
  useEffect(() => {
    (window as unknown as { __setTheme: (m: Mode) => void }).__setTheme = (next) => {
      // Components that read Grafana's config rather than the context see the switch too.
      config.theme2 = createTheme({ colors: { mode: next } });
      setMode(next);
    };
  }, []);
  const theme = createTheme({ colors: { mode } });
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <main data-theme={mode} style={{ padding: theme.spacing(2) }}>
        {children}
      </main>
      <PortalContainer />
    </ThemeContext.Provider>
  );
}
