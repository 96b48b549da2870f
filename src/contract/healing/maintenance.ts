// Maintenance: when automatic actions hold (time windows, namespace pauses).
import { z } from 'zod';
import { namespaceEntrySchema } from '../vocabulary';

export const weekdaySchema = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);
export type Weekday = z.infer<typeof weekdaySchema>;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'a time of day as HH:MM (00:00-23:59)' });

const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** Weekdays from-to in local time; `to` before `from` runs past midnight into the next day. */
export const timeWindowSchema = z
  .strictObject({
    days: z.array(weekdaySchema).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']),
    from: clockTime,
    to: clockTime,
  })
  .refine((w) => w.from !== w.to, { error: 'from and to must differ', path: ['to'] });
export type TimeWindow = z.infer<typeof timeWindowSchema>;

/** E.g. `{timeZone: 'Europe/Berlin', windows: [{days: [mon, ..., fri], from: '08:00', to: '18:00'}]}`. */
export const autoWindowsSchema = z.strictObject({
  timeZone: z.string().default('UTC').refine(isTimeZone, { error: 'an IANA time zone such as Europe/Berlin or UTC' }),
  windows: z.array(timeWindowSchema).min(1).max(20),
});
export type AutoWindows = z.infer<typeof autoWindowsSchema>;

/** A namespace where automatic actions are paused (they wait for approval); set by an Admin. */
export const namespacePauseSchema = z.strictObject({
  namespace: namespaceEntrySchema,
  reason: z.string().max(1000).optional(),
  by: z.string().optional(),
  at: z.number().optional(),
});
export type NamespacePause = z.infer<typeof namespacePauseSchema>;

/** GET /api/namespace-pauses; PUT /api/admin/namespace-pauses replaces the list. */
export const namespacePausesSchema = z.object({ pauses: z.array(namespacePauseSchema).max(500) });
export type NamespacePauses = z.infer<typeof namespacePausesSchema>;
export const putNamespacePausesBodySchema = z.object({
  pauses: z
    .array(namespacePauseSchema.pick({ namespace: true, reason: true }))
    .max(500)
    .refine((list) => new Set(list.map((p) => p.namespace)).size === list.length, {
      error: 'each namespace once',
    }),
});
export type PutNamespacePausesBody = z.infer<typeof putNamespacePausesBodySchema>;
