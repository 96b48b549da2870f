import { join } from 'node:path';
import { launchChromium, pageErrors, type RunningBrowser } from './browser';
import { bundlePage } from './bundle';
import { startGrafanaStub, type GrafanaStubOptions, type GrafanaStub, type PluginSettings } from './grafanaStub';

/** A backend the app's settings can point at. */
export interface SuiteBackend {
  url: string;
  token: string;
  close(): Promise<void>;
}

/** App settings pointing at a running backend, as an admin would have saved them. */
export function configuredSettings(backend: Pick<SuiteBackend, 'url' | 'token'>): PluginSettings {
  return {
    enabled: true,
    pinned: true,
    jsonData: { backendUrl: backend.url },
    secureJsonData: { backendToken: backend.token },
  };
}

export interface BrowserSuite<B> {
  browser: RunningBrowser;
  grafana: GrafanaStub;
  backend: B;
}

/**
 * For the describe it is called in: Chromium, a page entry (test/browser/<page>/entry.tsx) bundled
 * and served by the Grafana stub, and the backend its settings point at, if any; all closed after
 * the suite. After each test no page may have thrown. The fields are set once beforeAll ran.
 */
export function browserSuite<B extends SuiteBackend | undefined = undefined>(options: {
  page: 'app' | 'panel';
  /** The bundle's directory name; a suite bundling the same page in parallel wants its own. */
  bundle?: string;
  backend?: () => Promise<B>;
  dataSources?: GrafanaStubOptions['dataSources'];
  timeZone?: GrafanaStubOptions['timeZone'];
}): BrowserSuite<B> {
  const suite = {} as BrowserSuite<B>;
  beforeAll(async () => {
    suite.browser = await launchChromium();
    const bundleDir = await bundlePage(
      join(__dirname, '..', options.page, 'entry.tsx'),
      options.bundle ?? options.page
    );
    suite.backend = (await options.backend?.()) as B;
    suite.grafana = await startGrafanaStub({
      bundleDir,
      settings: suite.backend
        ? configuredSettings(suite.backend)
        : { enabled: true, pinned: true, jsonData: {}, secureJsonData: {} },
      dataSources: options.dataSources,
      timeZone: options.timeZone,
    });
  });
  afterAll(async () => {
    await suite.browser?.close();
    await suite.grafana?.close();
    await suite.backend?.close();
  });
  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));
  return suite;
}
