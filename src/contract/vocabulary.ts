// The words the pipeline and healing APIs share, each declared once. Severity, failure model and
// band direction are the detection library's (it assesses anomalies in them); their schemas are here.
import { z } from 'zod';
import {
  BAND_DIRECTIONS,
  FAILURE_MODELS,
  SEVERITIES,
  type Direction,
  type FailureModel,
  type Severity,
} from '../detection/severity';

export type { Direction, FailureModel, Severity };

export const severitySchema = z.enum(SEVERITIES);
export const failureModelSchema = z.enum(FAILURE_MODELS);
/** Which side of its learned band a signal left. */
export const directionSchema = z.enum(BAND_DIRECTIONS);

/** Prometheus labels, or an alert's: name to value. */
export const labelsSchema = z.record(z.string(), z.string());

/** An anomaly's id as the pipeline's store issues it: one number from the pipeline through healing to the page. */
export const anomalyIdSchema = z.number().int().positive();

/**
 * A whole number in a query string (`limit`, `actionId`, ...), written in decimal digits as the API
 * documents and the app sends (`String(number)`), read as a number that `bounds` then checks. A
 * coercing number read `from=` as 0, `from=0x10` as 16 and `limit=1e2` as 100; each is refused here by
 * name. `bounds` should stay within the safe integers: beyond them the digits no longer name one number.
 */
export const wholeNumberParamSchema = (bounds: z.ZodNumber) =>
  z
    .string()
    .regex(/^[0-9]+$/, { error: 'must be a whole number in decimal digits (0-9 only)' })
    .transform(Number)
    .pipe(bounds);

/**
 * A time in a query string (`from`, `to`): epoch milliseconds in decimal digits, a whole number as the
 * stores keep times (PostgreSQL's BIGINT columns refuse 1.5 or 1e20 with an error, not an empty page).
 */
export const epochMsParamSchema = wholeNumberParamSchema(z.number().max(Number.MAX_SAFE_INTEGER));

/**
 * A query's time bounds (`from`, `to`) in order: `from` after `to` is refused naming both rather than
 * answered with an empty list. An object schema's check: `.superRefine(fromNotAfterTo)`.
 */
export function fromNotAfterTo(query: { from?: number; to?: number }, ctx: z.RefinementCtx): void {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    ctx.addIssue({
      code: 'custom',
      path: ['from'],
      message: `must not be after to (from=${query.from}, to=${query.to}; both epoch milliseconds)`,
    });
  }
}

/**
 * A list's `cursor` query parameter, read by `schema`. An empty one (`?cursor=`, what a client sends
 * that fills in a page's null `next` or `previous`) asks for the first page, as Kubernetes reads an empty
 * `continue`: the lists take it as no cursor rather than refusing it.
 */
export const cursorParamSchema = <T extends z.ZodType<unknown, string>>(schema: T) =>
  // A pipe, not z.preprocess: the query type a client builds says `string`, not `unknown`.
  z
    .string()
    .optional()
    .transform((value) => (value === '' ? undefined : value))
    .pipe(schema.optional());

/**
 * A target id in a query (`?target=`, `?triggerTarget=`): ids hold no U+0000 (the pipeline writes it
 * U+FFFD, as PostgreSQL must), so a filter holding one is refused by name rather than matched one way on
 * SQLite and another on PostgreSQL.
 */
export const targetParamSchema = z
  .string()
  .refine((id) => !id.includes('\u0000'), { error: 'a target id holds no U+0000 (NUL); ids write it as U+FFFD' });

const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const OBJECT_NAME = new RegExp(`^${DNS_LABEL}(\\.${DNS_LABEL})*$`);
const NAMESPACE_NAME = new RegExp(`^${DNS_LABEL}$`);

/**
 * Whether a text can name a Kubernetes object (a DNS-1123 subdomain: at most 253 characters) or, with
 * `namespace`, a namespace (a DNS-1123 label: at most 63, no dot). Nothing else is ever a real object's
 * name, and in a request path '.' and '..' do not even stay names: the client's URL parsing collapses
 * them, so a DELETE of pod ".." in namespace shop is a DELETE of the namespace.
 */
export function isK8sName(value: string, what: 'object' | 'namespace' = 'object'): boolean {
  return what === 'namespace'
    ? value.length <= 63 && NAMESPACE_NAME.test(value)
    : value.length <= 253 && OBJECT_NAME.test(value);
}

/**
 * A Kubernetes object or namespace name as a trigger or an action records it (at most 253 characters).
 * Objects are made from labels only when isK8sName takes their names (kubeObjectRefOf), and nothing else
 * is ever sent (kubernetes/client.ts), so records made before that rule, with any label value, still read back.
 */
export const k8sNameSchema = z.string().min(1).max(253);

/**
 * A namespace as an Admin writes it in the safety limits and the pauses, which compare it with the objects'
 * namespaces as written: the spaces and capitals of a paste are taken away, so " Kube-System" denies
 * kube-system instead of nothing. Normalised rather than refused, so limits saved before still read back.
 */
export const namespaceEntrySchema = z.string().trim().toLowerCase().min(1);
