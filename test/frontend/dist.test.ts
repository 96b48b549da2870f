import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppPlugin, PanelPlugin } from '@grafana/data';

const DIST = join(__dirname, '..', '..', 'dist');

/** The packages Grafana hands a plugin at load time (create-plugin's externals). */
function external(name: string): unknown {
  switch (name) {
    case 'module':
      // SystemJS' AMD "module" object: webpack derives the public path of lazy chunks from it.
      return { uri: '/public/plugins/failureprophet-healing-app/module.js' };
    case 'react-router':
      return require('react-router-dom');
    default:
      return require(name);
  }
}

/** Evaluates an AMD bundle the way Grafana's SystemJS loader does: define(deps, factory). */
function loadAmd(file: string): Record<string, unknown> {
  const source = readFileSync(file, 'utf8');
  let exported: Record<string, unknown> | undefined;
  const requested: string[] = [];
  const define = (deps: string[], factory: (...args: unknown[]) => Record<string, unknown>) => {
    requested.push(...deps);
    exported = factory(...deps.map(external));
  };
  new Function('define', source)(define);
  if (!exported) {
    throw new Error(`${file} did not call define()`);
  }
  return Object.assign(exported, { __deps: requested });
}

const built = existsSync(join(DIST, 'module.js'));
(built ? describe : describe.skip)('dist/ as Grafana loads it', () => {
  it('holds the manifests, logos, README and CHANGELOG', () => {
    for (const file of [
      'plugin.json',
      'module.js',
      'img/logo.svg',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
      'panels/anomaly/plugin.json',
      'panels/anomaly/module.js',
      'panels/anomaly/img/logo.svg',
    ]) {
      expect(existsSync(join(DIST, file))).toBe(true);
    }
    const manifest = JSON.parse(readFileSync(join(DIST, 'plugin.json'), 'utf8'));
    expect(manifest.id).toBe('failureprophet-healing-app');
    expect(manifest.type).toBe('app');
    expect(manifest.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(manifest.info.updated).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const panel = JSON.parse(readFileSync(join(DIST, 'panels/anomaly/plugin.json'), 'utf8'));
    expect(panel.id).toBe('failureprophet-anomaly-panel');
    expect(panel.type).toBe('panel');
  });

  it('module.js is AMD with Grafana-provided packages left external, and exports an AppPlugin with a root page and a config page', () => {
    const mod = loadAmd(join(DIST, 'module.js'));
    expect(mod.__deps).toEqual(
      expect.arrayContaining(['react', '@grafana/data', '@grafana/ui', '@grafana/runtime', 'rxjs'])
    );
    const plugin = mod.plugin as AppPlugin;
    expect(plugin).toBeInstanceOf(AppPlugin);
    expect(typeof plugin.root).toBe('function');
    expect(plugin.configPages?.map((page) => page.id)).toContain('connection');
  });

  it('the panel module exports a PanelPlugin', () => {
    const mod = loadAmd(join(DIST, 'panels/anomaly/module.js'));
    expect(mod.__deps).toEqual(expect.arrayContaining(['react', '@grafana/data']));
    expect(mod.plugin).toBeInstanceOf(PanelPlugin);
  });

  it('does not bundle React or Grafana packages', () => {
    const source = readFileSync(join(DIST, 'module.js'), 'utf8');
    expect(source).not.toContain('react.production.min');
    expect(source).not.toContain('__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED');
  });
});

if (!built) {
  test('dist/ is built', () => {
    throw new Error('dist/module.js is missing: run `npm run build` before the tests (npm run test:all does)');
  });
}
