import { PluginType, type AppPluginMeta, type KeyValue } from '@grafana/data';
import { PLUGIN_ID } from '../../constants';
import type { AppSettings } from '../pluginSettings';

/** The app's plugin meta as Grafana hands it to the config page and the root page. */
export function appPluginMeta(
  jsonData: AppSettings = {},
  secureJsonFields: KeyValue<boolean> = {}
): AppPluginMeta<AppSettings> {
  return {
    id: PLUGIN_ID,
    name: 'Failure Prophet',
    type: PluginType.app,
    enabled: true,
    pinned: true,
    module: `public/plugins/${PLUGIN_ID}/module.js`,
    baseUrl: `public/plugins/${PLUGIN_ID}`,
    info: {
      author: { name: 'Failure Prophet' },
      description: '',
      links: [],
      logos: { small: '', large: '' },
      screenshots: [],
      updated: '',
      version: '0.0.0',
    },
    jsonData,
    secureJsonFields,
  };
}
