import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ephemeralSecretBox } from '../../src/server/store/secrets';
import { openStore } from '../../src/server/store/open';
import { anomalyRecord, cycleWrite as cycle, T0 } from '../harness/anomalyRecords';
import { startPostgres, type RunningPostgres } from '../harness/postgres';

// What a store reads back and leaves out reaches the backend's log (main passes its logger's warn),
// not stderr: an unreadable anomaly_feedback row, on either store opened as main opens it.

let server: RunningPostgres | undefined;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);

afterAll(async () => {
  await server?.stop();
}, 120_000);

describe.each(['SQLite', 'PostgreSQL'])('%s opened as main opens it', (kind) => {
  it("tells the store's warn of an unreadable feedback row it leaves out", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fp-warn-'));
    const warned: string[] = [];
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const store = await openStore({
      dataDir,
      url: kind === 'PostgreSQL' ? await server!.createDatabase('warnings') : undefined,
      secrets: ephemeralSecretBox(),
      now: () => T0,
      warn: (message) => warned.push(message),
    });
    try {
      const [id] = (await store.pipeline.commitCycle(cycle({ anomalies: [anomalyRecord(0)] }))).map((a) => a.id!);
      await store.pipeline.addFeedback(id, 'confirmed', 'operator', 'bob', null);
      const user = kind === 'PostgreSQL' ? 'user_name' : 'user';
      const sql = `UPDATE anomaly_feedback SET kind = 'maybe' WHERE ${user} = 'bob'`;
      if ('pool' in store) {
        await store.pool.query(sql);
      } else {
        store.db.prepare(sql).run();
      }
      expect((await store.pipeline.anomaly(id))!.feedback).toEqual([]);
      expect(warned).toEqual([expect.stringMatching(/^anomaly_feedback row \d+ is invalid at kind: .*left out/)]);
      expect(emitted).not.toHaveBeenCalled();
    } finally {
      emitted.mockRestore();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
