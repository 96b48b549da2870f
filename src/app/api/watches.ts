import { watchesConfigResponseSchema, type WatchDefinition } from '../../contract/watches';
import { backendRequest } from './backend';

/** The watch configuration routes, as the plugin proxy forwards them (writes need Admin, see plugin.json). */
export const watchesPaths = {
  config: 'api/watches/config',
  admin: 'api/admin/watches',
};

export const getWatchesConfig = () => backendRequest(watchesPaths.config, watchesConfigResponseSchema);

export const putWatches = (watches: WatchDefinition[]) =>
  backendRequest(watchesPaths.admin, watchesConfigResponseSchema, { method: 'PUT', data: { watches } });

/** Drops the saved watches: the backend goes back to the config file's (or the default) watches. */
export const resetWatches = () => backendRequest(watchesPaths.admin, watchesConfigResponseSchema, { method: 'DELETE' });
