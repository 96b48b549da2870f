import { messageOf } from '../../utils/messageOf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../config/load';
import { DEFAULT_WATCHES } from './defaultWatches';

describe('watch configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-watch-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string) => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, text);
    return path;
  };

  it('takes the minimal file of the issue as it is', () => {
    const path = file(`watches:
  - name: machine-temperature
    queries:
      temperature: machine_temperature
    target: [job]
    step: 5m
    history: 90d
`);
    const config = loadConfig({ FP_CONFIG: path, FP_GRAFANA_URL: 'http://grafana:3000', FP_GRAFANA_TOKEN: 'glsa_x' });
    expect(config.watches).toEqual([
      expect.objectContaining({
        name: 'machine-temperature',
        queries: { temperature: 'machine_temperature' },
        target: ['job'],
        step: 300_000,
        history: 90 * 86_400_000,
        detector: 'failureprophet',
      }),
    ]);
    expect(config.grafana).toEqual({ url: 'http://grafana:3000', token: 'glsa_x' });
    expect(config.pipeline.retrain).toBe('0 3 * * *');
  });

  it('names the key that is wrong', () => {
    const path = file(
      'watches:\n  - name: a\n    queries: {}\n    step: soon\n  - name: a\n    queries: { x: up }\npipeline:\n  retrain: every day\n'
    );
    expect(() => loadConfig({ FP_CONFIG: path })).toThrow(ConfigError);
    try {
      loadConfig({ FP_CONFIG: path });
    } catch (err) {
      const message = messageOf(err);
      expect(message).toContain('watches.0.queries');
      expect(message).toContain('watches.0.step');
      expect(message).toContain('pipeline.retrain');
    }
  });

  it('refuses a limit or a kind for a signal the watch does not query, naming it and the queries', () => {
    // A misspelt signal would otherwise leave memory without a limit, silently: no time to failure ever.
    const path = file(
      'watches:\n  - name: node\n    queries: { memory: up, disk: up }\n    limits: { mem: 0.95, disk: 0.9 }\n    kinds: { memroy: memory }\n'
    );
    const message = (() => {
      try {
        loadConfig({ FP_CONFIG: path });
      } catch (err) {
        return messageOf(err);
      }
      return 'accepted';
    })();
    expect(message).toContain('watches.0.limits.mem (in ');
    expect(message).toContain('"mem" is not a query of this watch (its queries: memory, disk)');
    expect(message).toContain('watches.0.kinds.memroy (in ');
    expect(message).not.toContain('limits.disk');
  });

  it('refuses two watches of one name', () => {
    const path = file('watches:\n  - name: a\n    queries: { x: up }\n  - name: a\n    queries: { y: up }\n');
    expect(() => loadConfig({ FP_CONFIG: path })).toThrow('watches.1.name');
  });

  it('ships default watches for node-exporter, cAdvisor / kube-state-metrics and HTTP services', () => {
    expect(DEFAULT_WATCHES.map((w) => w.name)).toEqual(['node', 'pod-resources', 'deployment-availability', 'http']);
    expect(loadConfig({}).watches).toBeUndefined();
  });
});
