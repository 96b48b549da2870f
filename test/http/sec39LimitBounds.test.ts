import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageOf } from '../../src/utils/messageOf';
import { loadConfig } from '../../src/server/config/load';
import { AUTH, assembledApp, type AssembledApp } from '../harness/server';

// The safety limits an Admin writes (PUT /api/admin/safety-limits) and the config file's healing.limits:
// every whole number bounded, the bound named, nothing saved past it.

describe('safety limits near 2^53', () => {
  let backend: AssembledApp;
  beforeAll(async () => {
    backend = await assembledApp();
  });
  afterAll(async () => {
    await backend?.close();
  });

  const put = (payload: object) =>
    backend.app.inject({ method: 'PUT', url: '/api/admin/safety-limits', headers: AUTH, payload });

  it('refuses each past its bound with 400 naming the field and the bound, keeping what was saved', async () => {
    const before = (await backend.app.inject({ url: '/api/safety-limits', headers: AUTH })).json();
    const cases: Array<[object, string, string]> = [
      [{ cooldownSeconds: Number.MAX_SAFE_INTEGER }, 'cooldownSeconds', 'must be at most 2592000 seconds (30 days)'],
      [{ approvalTimeoutSeconds: 2_592_001 }, 'approvalTimeoutSeconds', 'must be at most 2592000 seconds (30 days)'],
      [
        { maxNodesDisrupted: 5001 },
        'maxNodesDisrupted',
        'must be at most 5000 (the nodes Kubernetes supports in one cluster)',
      ],
      [{ replicaCeiling: 2 ** 53 - 1 }, 'replicaCeiling', 'must be at most 10000'],
      [
        { circuitBreaker: { maxRepeats: 3, windowSeconds: 31_536_001 } },
        'circuitBreaker.windowSeconds',
        'must be at most 31536000 seconds (a year)',
      ],
      [
        { verification: { settleSeconds: 86_401 } },
        'verification.settleSeconds',
        'must be at most 86400 seconds (a day)',
      ],
      [{ storm: { maxAlarmingTargets: 1_000_001 } }, 'storm.maxAlarmingTargets', 'must be at most 1000000'],
    ];
    for (const [payload, field, message] of cases) {
      const answer = await put(payload);
      expect([field, answer.statusCode, answer.json().field, answer.json().message]).toEqual([
        field,
        400,
        `body.${field}`,
        expect.stringContaining(message),
      ]);
    }
    expect((await backend.app.inject({ url: '/api/safety-limits', headers: AUTH })).json()).toEqual(before);
    expect(
      (await put({ cooldownSeconds: 2_592_000, replicaCeiling: 10_000, maxNodesDisrupted: 5000 })).statusCode
    ).toBe(200);
  });

  it('refuses the same in the config file, naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fp-sec39-limits-'));
    try {
      const path = join(dir, 'config.yaml');
      writeFileSync(path, 'healing:\n  limits:\n    replicaCeiling: 9007199254740991\n');
      let message = '';
      try {
        loadConfig({ FP_CONFIG: path });
      } catch (err) {
        message = messageOf(err);
      }
      expect(message).toBe(
        `invalid configuration:\n  - healing.limits.replicaCeiling (in ${path}): must be at most 10000`
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
