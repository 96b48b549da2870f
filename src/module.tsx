import React, { Suspense, lazy } from 'react';
import { AppPlugin, type AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import type { AppConfigProps } from './app/config/AppConfig';
import type { HealingConfigProps } from './app/config/HealingConfig/HealingConfig';
import type { AppSettings } from './app/pluginSettings';
import type { WatchesConfigProps } from './app/config/WatchesConfig/WatchesConfig';

const LazyApp = lazy(() => import('./app/App'));
const LazyAppConfig = lazy(() => import('./app/config/AppConfig'));
const LazyHealingConfig = lazy(() => import('./app/config/HealingConfig/HealingConfig'));
const LazyWatchesConfig = lazy(() => import('./app/config/WatchesConfig/WatchesConfig'));

const App = (props: AppRootProps<AppSettings>) => (
  <Suspense fallback={<LoadingPlaceholder text="Loading Failure Prophet…" />}>
    <LazyApp {...props} />
  </Suspense>
);

const AppConfig = (props: AppConfigProps) => (
  <Suspense fallback={<LoadingPlaceholder text="Loading configuration…" />}>
    <LazyAppConfig {...props} />
  </Suspense>
);

const HealingConfig = (props: HealingConfigProps) => (
  <Suspense fallback={<LoadingPlaceholder text="Loading healing policies…" />}>
    <LazyHealingConfig {...props} />
  </Suspense>
);

const WatchesConfig = (props: WatchesConfigProps) => (
  <Suspense fallback={<LoadingPlaceholder text="Loading watches…" />}>
    <LazyWatchesConfig {...props} />
  </Suspense>
);

export const plugin = new AppPlugin<AppSettings>()
  .setRootPage(App)
  .addConfigPage({
    title: 'Connection',
    icon: 'link',
    body: AppConfig,
    id: 'connection',
  })
  .addConfigPage({
    title: 'Healing policies',
    icon: 'shield',
    body: HealingConfig,
    id: 'policies',
  })
  .addConfigPage({
    title: 'Watches',
    icon: 'eye',
    body: WatchesConfig,
    id: 'watches',
  });
