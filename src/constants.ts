import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;
/** Every call to the backend goes through the routes declared in plugin.json. */
export const BACKEND_PROXY_URL = `/api/plugin-proxy/${PLUGIN_ID}`;
export const PLUGIN_SETTINGS_URL = `/api/plugins/${PLUGIN_ID}/settings`;
export const CONFIG_PAGE_URL = `/plugins/${PLUGIN_ID}`;

export enum ROUTES {
  Overview = 'overview',
  Actions = 'actions',
  Target = 'target',
  Audit = 'audit',
  Models = 'models',
}
