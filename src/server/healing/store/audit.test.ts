import { ephemeralSecretBox } from '../../store/secrets';
import { openSqliteDatabase } from '../../store/sqlite';

// A conditional setting change reads the setting back from the store: a row that is not what this
// version wrote is refused with the row named, and nothing is written.

const T = 1_700_000_000_000;

it('changes a setting only from what it was, and refuses a stored value that is not JSON', async () => {
  const store = openSqliteDatabase(':memory:', () => T, { secrets: ephemeralSecretBox() });
  try {
    const { audit } = store.healing;
    const entry = { at: T, kind: 'storm' as const, message: 'storm began' };
    const storm = { key: 'healing.storm', from: null, value: { since: T } };
    expect(await audit.appendIfSetting(entry, storm)).toBeDefined();
    // Another replica changed it first: this one's change is not made.
    expect(await audit.appendIfSetting(entry, storm)).toBeUndefined();
    expect(
      await audit.appendIfSetting({ ...entry, message: 'storm ended' }, { ...storm, from: { since: T }, value: null })
    ).toBeDefined();

    store.db.prepare(`UPDATE settings SET value = '{not json' WHERE key = 'healing.storm'`).run();
    await expect(audit.appendIfSetting(entry, storm)).rejects.toMatchObject({
      message: expect.stringMatching(/^settings row healing.storm is invalid at value: not JSON/),
    });
    const kept = await audit.list({ limit: 10, offset: 0, format: 'json' });
    expect(kept.items.map((e) => e.message)).toEqual(['storm ended', 'storm began']);
  } finally {
    await store.close();
  }
});
