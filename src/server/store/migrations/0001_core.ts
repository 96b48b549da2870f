import type { Migration } from '../migrate';

export const coreMigration: Migration = {
  id: 1,
  name: 'core',
  sql: `
    CREATE TABLE settings (
      key        TEXT PRIMARY KEY,
      value      TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
};
