import React from 'react';
import { render, screen, within } from '@testing-library/react';
import { AppPlugin } from '@grafana/data';
import { config } from '@grafana/runtime';
import { safetyLimitsSchema, type Policy, type SafetyLimits } from '../../contract/healing';
import { healingPaths } from '../api/healing';
import HealingConfig from '../config/HealingConfig/HealingConfig';
import type { AppSettings } from '../pluginSettings';
import { testIds } from '../testIds';
import { installComboboxLayout } from './combobox';
import { installFakeBackendSrv, type FakeRoute } from './fakeBackendSrv';
import { appPluginMeta } from './pluginMeta';

/** Two policies as GET /api/policies answers them before an admin saved any. */
export const defaultPolicies: Policy[] = [
  {
    name: 'critical-scale-out',
    enabled: true,
    match: { severities: ['critical'] },
    action: { type: 'scale', delta: 1 },
    gate: 'approve',
  },
  {
    name: 'high-restart',
    enabled: true,
    match: { severities: ['high'] },
    action: { type: 'restart' },
    gate: 'approve',
  },
];
export const defaultLimits: SafetyLimits = safetyLimitsSchema.parse({});

/** The healing tab's backend: each PUT answers what it was sent, as the backend does after saving. */
export function healingRoutes(overrides: Record<string, FakeRoute | { status?: number; data?: unknown }> = {}) {
  return installFakeBackendSrv({
    [`GET ${healingPaths.policies}`]: { data: { policies: defaultPolicies, source: 'default' } },
    [`GET ${healingPaths.limits}`]: { data: { limits: defaultLimits, source: 'default' } },
    [`GET ${healingPaths.killSwitch}`]: { data: { engaged: false } },
    [`GET ${healingPaths.namespacePauses}`]: { data: { pauses: [] } },
    [`PUT ${healingPaths.putPolicies}`]: (req) => ({ data: { policies: req.data.policies, source: 'store' } }),
    [`PUT ${healingPaths.putLimits}`]: (req) => ({ data: { limits: req.data, source: 'store' } }),
    [`PUT ${healingPaths.putKillSwitch}`]: (req) => ({
      data: { engaged: req.data.engaged, reason: req.data.reason, changedBy: 'admin', changedAt: 0 },
    }),
    ...overrides,
  });
}

export function renderHealingTab(jsonData: AppSettings = { backendUrl: 'http://backend:3001' }) {
  // Each policy's action and match fields are Grafana comboboxes.
  installComboboxLayout();
  // Unless a test signed someone in, the tab is an org Admin's (the only role the proxy lets write).
  if (!config.bootData.user?.orgRole) {
    config.bootData.user = { ...config.bootData.user, orgRole: 'Admin' } as typeof config.bootData.user;
  }
  const plugin = new AppPlugin<AppSettings>();
  plugin.meta = appPluginMeta(jsonData);
  return render(<HealingConfig plugin={plugin} query={{}} />);
}

export const policyBox = (index: number) => within(screen.getByTestId(testIds.healingConfig.policy(index)));
