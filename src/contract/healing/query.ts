// What the list routes' query strings share.
import { z } from 'zod';

export const pagingSchema = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

/** A comma-separated list in a query string, e.g. `?state=awaiting_approval,approved`. */
export const csv = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean)
    )
    .pipe(z.array(item));
