// Rows read back from a store are data from outside the process (another build, a hand edit, a
// damaged file): each is checked against its schema rather than cast, and one that does not fit
// fails with the table, the row and the field named.
import { messageOf } from '../../utils/messageOf';
import { z } from 'zod';

export class StoredRowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoredRowError';
  }
}

const rowIdSchema = z.object({ id: z.union([z.number(), z.string()]) });

/**
 * One row as `schema` reads it; throws a StoredRowError naming the table, the row (`key`, else its
 * id column) and the field when it does not fit.
 */
export function decodeRow<S extends z.ZodType>(schema: S, table: string, raw: unknown, key?: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) {
    return parsed.data;
  }
  const issue = parsed.error.issues[0];
  const id = rowIdSchema.safeParse(raw);
  const row = key ?? (id.success ? String(id.data.id) : undefined);
  const field = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new StoredRowError(`${table} row${row === undefined ? '' : ` ${row}`} is invalid${field}: ${issue.message}`);
}

/** A `settings` row (its value JSON text, as both stores give it) as `schema` reads the value. */
export function decodeSetting<S extends z.ZodType>(schema: S, key: string, row: unknown): z.output<S> {
  const { value } = decodeRow(z.object({ value: jsonColumn(z.unknown()) }), 'settings', row, key);
  return decodeRow(schema, 'settings', value, key);
}

/** A TEXT column holding JSON, parsed (with `reviver` when given) and checked by `schema`. */
export function jsonColumn<S extends z.ZodType>(schema: S, reviver?: (key: string, value: unknown) => unknown) {
  return z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text, reviver);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not JSON (${messageOf(err)})` });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

/** `trigger_key` → `triggerKey`, at the type level. */
type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<CamelCase<Tail>>}`
  : S;
type EmptyKeys<R> = { [K in keyof R]: null extends R[K] ? K : undefined extends R[K] ? K : never }[keyof R];

/** A row's fields as the API names them: camelCase, a NULL or absent column an absent field. */
export type ApiFields<R> = { [K in Exclude<keyof R, EmptyKeys<R>> as CamelCase<K & string>]: R[K] } & {
  [K in EmptyKeys<R> as CamelCase<K & string>]?: NonNullable<R[K]>;
};

/**
 * A checked row as the API's object: each column under its camelCase name, in the row's order (the
 * order of its schema), NULL and absent columns left out rather than carried as null or undefined.
 */
export function apiFields<R extends Record<string, unknown>>(row: R): ApiFields<R> {
  const fields: Record<string, unknown> = {};
  for (const column in row) {
    const value = row[column];
    if (value !== null && value !== undefined) {
      fields[camelName(column)] = value;
    }
  }
  return fields as ApiFields<R>;
}

/** The tables' few column names, each converted once: a list page converts thousands of rows. */
const camelNames = new Map<string, string>();
function camelName(column: string): string {
  let name = camelNames.get(column);
  if (name === undefined) {
    name = column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    camelNames.set(column, name);
  }
  return name;
}

/** A nullable column as an optional field. */
export const optional = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);

/** The shapes of the small rows counts, id lists and PostgreSQL's pg_try_advisory_lock come back as. */
export const countRow = z.object({ n: z.number() });
export const idRow = z.object({ id: z.number().int() });
export const lockedRow = z.object({ locked: z.boolean() });
