// A table the two stores create with the same columns is declared once and written in each one's
// dialect, so their migrations cannot drift apart column by column; `store:copy` reads its columns
// by the same types.

export type Dialect = 'sqlite' | 'postgres';

/** Each column type as both stores write it. */
const TYPES = {
  text: { sqlite: 'TEXT', postgres: 'TEXT' },
  int: { sqlite: 'INTEGER', postgres: 'INTEGER' },
  /** Epoch milliseconds and ids: SQLite's INTEGER already holds 64 bits. */
  bigint: { sqlite: 'INTEGER', postgres: 'BIGINT' },
  real: { sqlite: 'REAL', postgres: 'DOUBLE PRECISION' },
  json: { sqlite: 'TEXT', postgres: 'JSONB' },
  blob: { sqlite: 'BLOB', postgres: 'BYTEA' },
  /** The row id the store issues, never reused. */
  id: { sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT', postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' },
} satisfies Record<string, Record<Dialect, string>>;

export type BaseType = keyof typeof TYPES;
/** A column's type, `?` when it may be NULL. */
export type ColumnType = BaseType | `${Exclude<BaseType, 'id'>}?`;

export function parseColumnType(type: ColumnType): { base: BaseType; nullable: boolean } {
  const nullable = type.endsWith('?');
  return { base: (nullable ? type.slice(0, -1) : type) as BaseType, nullable };
}

export interface TableDefinition {
  name: string;
  columns: Record<string, ColumnType>;
  primaryKey?: string[];
  /** Columns unique together, by constraint name (PostgreSQL names it: ON CONFLICT ON CONSTRAINT uses it; SQLite's stay unnamed). */
  unique?: Record<string, string[]>;
  /** Indexes both stores create alike, by name. */
  indexes?: Record<string, string[]>;
}

/** The table's CREATE TABLE statement in `dialect`, then its indexes'. */
export function createTable(dialect: Dialect, table: TableDefinition): string {
  const width = Math.max(...Object.keys(table.columns).map((name) => name.length));
  const lines = Object.entries(table.columns).map(([name, type]) => {
    const { base, nullable } = parseColumnType(type);
    return `${name.padEnd(width)} ${TYPES[base][dialect]}${nullable || base === 'id' ? '' : ' NOT NULL'}`;
  });
  if (table.primaryKey) {
    lines.push(`PRIMARY KEY (${table.primaryKey.join(', ')})`);
  }
  for (const [constraint, columns] of Object.entries(table.unique ?? {})) {
    lines.push(`${dialect === 'postgres' ? `CONSTRAINT ${constraint} ` : ''}UNIQUE (${columns.join(', ')})`);
  }
  const indexes = Object.entries(table.indexes ?? {}).map(
    ([index, columns]) => `\nCREATE INDEX ${index} ON ${table.name} (${columns.join(', ')});`
  );
  return `CREATE TABLE ${table.name} (\n  ${lines.join(',\n  ')}\n);${indexes.join('')}`;
}
