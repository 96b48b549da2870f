import { z } from 'zod';

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
