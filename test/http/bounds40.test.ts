import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { messageOf } from '../../src/utils/messageOf';
import { loadConfig } from '../../src/server/config/load';
import { WATCHES_KEY, WatchSettings } from '../../src/server/pipeline/watchSettings';
import { asAdmin, assembledStores, type StoreBackend } from '../harness/assembledStores';
import { TestClock } from '../pipeline/helpers';

// The numbers of a watch, a policy and the Kubernetes options where they are written (the PUTs, the config
// file): each bounded, the bound named, nothing saved past it; rows saved before the bounds still load, on
// each store. And a policy's label value holding U+0000, which PostgreSQL would keep as U+FFFD, is refused.

const T0 = Date.parse('2026-03-01T12:00:00Z');
const WATCH = { name: 'w', queries: { up: 'up' } };
const POLICY = { name: 'p', action: { type: 'restart' } };

const stores = assembledStores('bounds40');

describe.each(['SQLite', 'PostgreSQL'] as const)('bounds of what is written, on %s', (kind) => {
  let backend: StoreBackend;
  beforeEach(async () => {
    backend = await stores[kind]({ watches: [] }, new TestClock(T0));
  });
  afterEach(() => backend.close());

  const call = (method: 'GET' | 'PUT', url: string, payload?: object) => asAdmin(backend)(method, url, payload);

  /** The 400 a PUT answers: its field and message. */
  const refusal = async (url: string, payload: object) => {
    const answer = await call('PUT', url, payload);
    return [answer.statusCode, answer.json().field, answer.json().message];
  };

  it("refuses a watch's numbers past their bounds, while watches saved with them still run", async () => {
    const cases: Array<[object, string, string]> = [
      [{ step: '2d' }, 'step', 'must be at most 1d (86400000 ms)'],
      [{ step: Number.MAX_SAFE_INTEGER }, 'step', 'must be at most 1d (86400000 ms)'],
      [{ lag: '25h' }, 'lag', 'must be at most 1d (86400000 ms)'],
      [{ history: '366d' }, 'history', 'must be at most 1y (31536000000 ms)'],
      // Past 2^1024 milliseconds the text parses to Infinity.
      [{ history: `${'9'.repeat(400)}y` }, 'history', 'must be at most 1y (31536000000 ms)'],
      [{ probation: 2 ** 53 - 1 }, 'probation', 'must be at most 1000000 steps'],
      [{ closeAfter: 100_001 }, 'closeAfter', 'must be at most 100000 steps'],
    ];
    for (const [fields, field, message] of cases) {
      expect([field, ...(await refusal('/api/admin/watches', { watches: [{ ...WATCH, ...fields }] }))]).toEqual([
        field,
        400,
        `body.watches.0.${field}`,
        expect.stringContaining(message),
      ]);
    }
    expect((await call('GET', '/api/watches/config')).json().source).toBe('file');

    const saved = { ...WATCH, step: '2d', history: '2y', lag: '2d', probation: 2_000_000, closeAfter: 200_000 };
    await backend.store.settings.set(WATCHES_KEY, { watches: [saved], updatedAt: T0, updatedBy: 'bob' });
    const settings = new WatchSettings({
      settings: backend.store.settings,
      logger: pino({ level: 'silent' }),
      clock: new TestClock(T0),
    });
    await settings.load();
    const current = settings.current();
    expect([current.source, current.storeError, current.watches]).toEqual(['store', undefined, [saved]]);
    expect(current.parsed[0]).toMatchObject({ step: 172_800_000, history: 63_072_000_000, probation: 2_000_000 });
  });

  it("refuses a policy's numbers past their bounds, while policies saved with them still load", async () => {
    const DAY = 'must be at most 86400 seconds (a day)';
    const cases: Array<[object, string, string]> = [
      [{ action: { type: 'scale', delta: -10_001 } }, 'action.delta', 'must be between -10000 and 10000'],
      [{ action: { type: 'scale', replicas: 10_001 } }, 'action.replicas', 'must be at most 10000'],
      [{ action: { type: 'scale', ceiling: Number.MAX_SAFE_INTEGER } }, 'action.ceiling', 'must be at most 10000'],
      [{ action: { type: 'delete-pod', gracePeriodSeconds: 86_401 } }, 'action.gracePeriodSeconds', DAY],
      [{ action: { type: 'drain', timeoutSeconds: 2 ** 40 } }, 'action.timeoutSeconds', DAY],
      [{ action: { type: 'drain', maxGracePeriodSeconds: 86_401 } }, 'action.maxGracePeriodSeconds', DAY],
      [{ approvalTimeoutSeconds: 2_592_001 }, 'approvalTimeoutSeconds', 'must be at most 2592000 seconds (30 days)'],
      [{ verifySeconds: 86_401 }, 'verifySeconds', DAY],
      [
        { steps: [{ action: { type: 'scale', delta: 10_001 }, verifySeconds: 60 }] },
        'steps.0.action.delta',
        'must be between -10000 and 10000',
      ],
      [{ steps: [{ action: { type: 'delete-pod' }, verifySeconds: 2 ** 53 - 1 }] }, 'steps.0.verifySeconds', DAY],
    ];
    for (const [fields, field, message] of cases) {
      expect([field, ...(await refusal('/api/admin/policies', { policies: [{ ...POLICY, ...fields }] }))]).toEqual([
        field,
        400,
        `body.policies.0.${field}`,
        expect.stringContaining(message),
      ]);
    }
    const within = {
      ...POLICY,
      action: { type: 'scale', delta: -10_000, ceiling: 10_000 },
      approvalTimeoutSeconds: 2_592_000,
      verifySeconds: 86_400,
      steps: [{ action: { type: 'drain', timeoutSeconds: 86_400, maxGracePeriodSeconds: 86_400 } }],
    };
    expect((await call('PUT', '/api/admin/policies', { policies: [within] })).statusCode).toBe(200);

    const saved = { ...POLICY, action: { type: 'scale', replicas: 2 ** 40 }, approvalTimeoutSeconds: 2 ** 40 };
    await backend.store.settings.set('healing.policies', { value: [saved], updatedAt: T0, updatedBy: 'bob' });
    const read = (await call('GET', '/api/policies')).json();
    expect([read.source, read.policies[0].action, read.policies[0].approvalTimeoutSeconds]).toEqual([
      'store',
      { type: 'scale', replicas: 2 ** 40 },
      2 ** 40,
    ]);
  });

  it('refuses a label value holding U+0000 or a lone surrogate, saving nothing', async () => {
    const before = (await call('GET', '/api/policies')).json();
    for (const [field, value, message] of [
      ['labels', 'a\u0000b', 'the value of "app" holds U+0000 (NUL)'],
      ['alertLabels', '\u0000', 'the value of "app" holds U+0000 (NUL)'],
      ['labels', 'cart\ud800', 'the value of "app" is not valid UTF-8 (it holds a lone surrogate)'],
    ]) {
      const policy = { ...POLICY, match: { [field]: { app: value } } };
      expect(await refusal('/api/admin/policies', { policies: [policy] })).toEqual([
        400,
        `body.policies.0.match.${field}`,
        expect.stringContaining(message),
      ]);
    }
    expect((await call('GET', '/api/policies')).json()).toEqual(before);
    const replaced = { ...POLICY, match: { labels: { app: 'cart\ufffd' } } };
    expect((await call('PUT', '/api/admin/policies', { policies: [replaced] })).statusCode).toBe(200);
  });
});

describe('the config file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fp-bounds40-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** What loading this YAML says is wrong with it. */
  const refused = (yaml: string) => {
    const path = join(dir, 'config.yaml');
    writeFileSync(path, yaml);
    try {
      loadConfig({ FP_CONFIG: path });
      return 'loaded';
    } catch (err) {
      return messageOf(err).replaceAll(` (in ${path})`, '');
    }
  };

  it('refuses watch numbers past their bounds, naming the key and the bound', () => {
    expect(
      refused('watches:\n  - name: w\n    queries: { up: up }\n    step: 9007199254740991\n    closeAfter: 1e6\n')
    ).toBe(
      'invalid configuration:\n  - watches.0.step: must be at most 1d (86400000 ms)\n  - watches.0.closeAfter: must be at most 100000 steps'
    );
  });

  it('refuses policy numbers and label values the PUT refuses', () => {
    expect(
      refused(
        'healing:\n  policies:\n    - name: p\n      action: { type: drain, timeoutSeconds: 9007199254740991 }\n      match: { labels: { app: "\\0" } }\n'
      )
    ).toBe(
      'invalid configuration:\n  - healing.policies.0.match.labels: the value of "app" holds U+0000 (NUL), which the stores cannot keep alike: PostgreSQL writes it U+FFFD\n  - healing.policies.0.action.timeoutSeconds: must be at most 86400 seconds (a day)'
    );
  });

  it("refuses a Kubernetes request timeout past an hour, which Node's timer would fire at once", () => {
    expect(refused('kubernetes:\n  mode: in-cluster\n  requestTimeoutMs: 9007199254740991\n')).toBe(
      'invalid configuration:\n  - kubernetes.requestTimeoutMs: must be at most 3600000 ms (an hour)'
    );
    expect(refused('kubernetes:\n  mode: in-cluster\n  requestTimeoutMs: 3600000\n')).toBe('loaded');
  });
});
