import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pngSize } from '../../scripts/screenshots/png';

const ROOT = join(__dirname, '..', '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

interface Screenshot {
  name: string;
  path: string;
}

// What create-plugin's webpack config copies into dist/, read as the build reads it (src/plugin.json from
// the working directory). Required, not imported: its `.ts` import paths are for the bundler's ts-node, not tsc.
const { copyFilePatterns } = require('../../.config/bundler/copyFiles') as {
  copyFilePatterns: Array<{ from: string; to: string }>;
};

const listed = (pluginJson: string): Screenshot[] => JSON.parse(readFileSync(pluginJson, 'utf8')).info.screenshots;

describe("plugin.json's screenshots (the plugin catalog's)", () => {
  const screenshots = listed(join(SRC, 'plugin.json'));

  it('lists some, each named and a PNG in src/img wide enough to read, as `npm run screenshots` makes them', () => {
    // Grafana's plugin validator warns about none, and refuses a path not in the archive or not an image.
    expect(screenshots.length).toBeGreaterThan(0);
    for (const { name, path } of screenshots) {
      expect(name.trim()).not.toBe('');
      expect(path).toMatch(/^img\/screenshots\/[a-z-]+\.png$/);
      const file = join(SRC, path);
      expect(existsSync(file)).toBe(true);
      expect(pngSize(readFileSync(file))).toEqual({ width: 1440, height: expect.any(Number) });
    }
  });

  it('are each copied by the build to the same path in dist/ (create-plugin copies from src/)', () => {
    expect(screenshots.length).toBeGreaterThan(0);
    expect(copyFilePatterns).toEqual(
      expect.arrayContaining(screenshots.map(({ path }) => expect.objectContaining({ from: path, to: path })))
    );
  });

  const built = existsSync(join(DIST, 'module.js'));
  (built ? it : it.skip)('are in the built dist/, the same files, as its plugin.json says', () => {
    expect(listed(join(DIST, 'plugin.json'))).toEqual(screenshots);
    for (const { path } of screenshots) {
      expect(readFileSync(join(DIST, path)).equals(readFileSync(join(SRC, path)))).toBe(true);
    }
  });
});
