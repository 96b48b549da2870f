import { createContext, useContext } from 'react';

/** The app's jsonData (never secrets: those stay in secureJsonData, server side). */
export interface AppSettings {
  backendUrl?: string;
  /** The Grafana Prometheus data source the watches read (for Explore links and the connection test). */
  prometheusDatasourceUid?: string;
  /** How the backend reaches Kubernetes; the token and CA are in secureJsonData (kubeToken, kubeCa). */
  kubernetes?: { mode: 'in-cluster' | 'endpoint'; url?: string };
}

export const PluginSettingsContext = createContext<AppSettings>({});

export function usePluginSettings(): AppSettings {
  return useContext(PluginSettingsContext);
}
