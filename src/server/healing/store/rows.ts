import { z } from 'zod';

/** A row read back from the store that its schema refuses: another version wrote it, or a hand edit. */
export class StoredRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoredRowError';
  }
}

/**
 * Checks a row read back like any other input: a bad one fails here, naming its table, its id and
 * the column, instead of deep inside the engine. The rows beside it are unaffected.
 */
export function checkRow<T extends z.ZodType>(schema: T, row: unknown, table: string): z.output<T> {
  const parsed = schema.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const id = z.object({ id: z.unknown() }).safeParse(row);
    const which = id.success && id.data.id !== undefined ? ` ${String(id.data.id)}` : '';
    throw new StoredRowError(`${table} row${which} is invalid at ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export const checkRows = <T extends z.ZodType>(schema: T, rows: unknown[], table: string): Array<z.output<T>> =>
  rows.map((row) => checkRow(schema, row, table));

/** A nullable column as an optional field. */
export const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** The shapes of the small rows counts and id lists come back as. */
export const countRow = z.object({ n: z.number() });
export const idRow = z.object({ id: z.number().int() });

/**
 * SQLite keeps JSON as text: these columns are parsed before the row's schema checks them. Text that
 * is not JSON stays text, so the schema refuses it at that column.
 */
export function parseJsonColumns(row: unknown, columns: readonly string[]): unknown {
  const record = z.record(z.string(), z.unknown()).safeParse(row);
  if (!record.success) {
    return row;
  }
  const out: Record<string, unknown> = { ...record.data };
  for (const column of columns) {
    const text = out[column];
    if (typeof text === 'string') {
      try {
        out[column] = JSON.parse(text);
      } catch {
        // Left as text: the schema names the column.
      }
    }
  }
  return out;
}
