import { z } from 'zod';
import { parseColumnType, type BaseType, type ColumnType } from '../ddl';
import { decodeRow } from '../rows';

// How `store:copy` copies one table (tables.ts lists them): the columns read from SQLite, each
// checked by its type, and the PostgreSQL columns written, the same names unless renamed or computed.

/** How a SQLite value of a column type is checked, and the PostgreSQL type its parameter is cast to. */
interface Column {
  schema: z.ZodType;
  cast: string;
}

/** JSON text, kept as text (PostgreSQL's JSONB parses it again). */
const jsonText = z.string().refine((text) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}, 'not JSON');

const int: Column = { schema: z.number().int(), cast: 'bigint' };
const byType = {
  text: { schema: z.string(), cast: 'text' },
  int,
  bigint: int,
  id: int,
  // SQLite keeps ±Infinity in REAL columns (NaN it stores as NULL), and so does float8: carried as they are.
  real: { schema: z.number().or(z.custom<number>((v) => v === Infinity || v === -Infinity)), cast: 'float8' },
  json: { schema: jsonText, cast: 'jsonb' },
  blob: { schema: z.instanceof(Uint8Array), cast: 'bytea' },
} satisfies Record<BaseType, Column>;

const columnOf = (type: ColumnType): Column => {
  const { base, nullable } = parseColumnType(type);
  const column = byType[base];
  return nullable ? { schema: column.schema.nullable(), cast: column.cast } : column;
};

/** A row left out of the copy, and why (its value cannot be read by this build either). */
export class SkippedRow {
  constructor(readonly reason: string) {}
}

/** One table's copy, its types erased: what the copier needs. */
export interface TableCopy {
  table: string;
  /** SQLite's columns, every one read. */
  readColumns: string[];
  /** PostgreSQL's columns written, in the order of `values`, each with its parameter's cast. */
  writeColumns: Array<{ name: string; cast: string }>;
  /** PostgreSQL's columns left to their default, each with why. */
  postgresOnly: Record<string, string>;
  /** Its `id` continues from SQLite's AUTOINCREMENT sequence. */
  identity: boolean;
  /** A SQLite row read back, as PostgreSQL's values; a SkippedRow when it cannot be carried. */
  values(raw: unknown): unknown[] | SkippedRow;
}

interface TableSpec<S extends Record<string, ColumnType>> {
  columns: S;
  /** SQLite column → its name in PostgreSQL. */
  renamed?: Partial<Record<keyof S & string, string>>;
  /** SQLite columns read only to compute others. */
  consumed?: Array<keyof S & string>;
  /** PostgreSQL columns computed from the row read. */
  computed?: Record<string, { type: BaseType; value: (row: Record<string, unknown>) => unknown }>;
  postgresOnly?: Record<string, string>;
  identity?: boolean;
}

export function table<S extends Record<string, ColumnType>>(name: string, spec: TableSpec<S>): TableCopy {
  const readColumns = Object.keys(spec.columns);
  const shape = Object.fromEntries(readColumns.map((c) => [c, columnOf(spec.columns[c]).schema]));
  const rowSchema = z.object(shape);
  const consumed = new Set<string>(spec.consumed ?? []);
  const copied = readColumns.filter((c) => !consumed.has(c));
  const renamed: Partial<Record<string, string>> = spec.renamed ?? {};
  const computed = Object.entries(spec.computed ?? {});
  return {
    table: name,
    readColumns,
    writeColumns: [
      ...copied.map((c) => ({ name: renamed[c] ?? c, cast: columnOf(spec.columns[c]).cast })),
      ...computed.map(([c, { type }]) => ({ name: c, cast: byType[type].cast })),
    ],
    postgresOnly: spec.postgresOnly ?? {},
    identity: spec.identity ?? false,
    values(raw) {
      const row: Record<string, unknown> = decodeRow(rowSchema, name, raw);
      const values = copied.map((c) => row[c]);
      for (const [, { value }] of computed) {
        const v = value(row);
        if (v instanceof SkippedRow) {
          return v;
        }
        values.push(v);
      }
      return values;
    },
  };
}
