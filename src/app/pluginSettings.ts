import { createContext, useContext } from 'react';

/** The app's jsonData (never secrets: those stay in secureJsonData, server side). */
export interface AppSettings {
  backendUrl?: string;
}

export const PluginSettingsContext = createContext<AppSettings>({});

export function usePluginSettings(): AppSettings {
  return useContext(PluginSettingsContext);
}
