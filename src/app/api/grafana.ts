import { lastValueFrom } from 'rxjs';
import { z } from 'zod';
import type { PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { PLUGIN_SETTINGS_URL } from '../../constants';
import type { AppSettings } from '../pluginSettings';
import { readFetchFailure } from './fetchFailure';

/** An error from Grafana's own HTTP API, with the message Grafana gave. */
export class GrafanaApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'GrafanaApiError';
  }
}

/** Grafana answers a settings update with `{"message": "Plugin settings updated"}`. */
const settingsSavedSchema = z.object({ message: z.string().optional() });

/** A data source's CheckHealth result as Grafana relays it (status OK / ERROR, a message, details). */
const dataSourceHealthSchema = z.object({ status: z.string().optional(), message: z.string().optional() });

/** What the config page saves: secrets only when the admin typed or reset them. */
export type PluginSettingsUpdate = Pick<PluginMeta<AppSettings>, 'enabled' | 'pinned' | 'jsonData'> & {
  secureJsonData?: Record<string, string>;
};

export const savePluginSettings = (settings: PluginSettingsUpdate) =>
  grafanaRequest(PLUGIN_SETTINGS_URL, settingsSavedSchema, { method: 'POST', data: settings });

export const getDataSourceHealth = (uid: string) =>
  grafanaRequest(`/api/datasources/uid/${encodeURIComponent(uid)}/health`, dataSourceHealthSchema);

async function grafanaRequest<S extends z.ZodType>(
  url: string,
  schema: S,
  req: { method?: 'GET' | 'POST'; data?: unknown } = {}
): Promise<z.infer<S>> {
  let body: unknown;
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch<unknown>({ url, method: req.method ?? 'GET', data: req.data, showErrorAlert: false })
    );
    body = response.data;
  } catch (err) {
    const { status, statusText, body: data } = readFetchFailure(err);
    const message = data.message ?? statusText ?? 'no answer';
    throw new GrafanaApiError(message, status ?? 0);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new GrafanaApiError(
      `Grafana answered in an unexpected shape (${issue.path.join('.') || 'body'}: ${issue.message})`,
      200
    );
  }
  return parsed.data;
}
