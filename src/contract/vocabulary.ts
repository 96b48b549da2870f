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
 * kube-system instead of nothing. Normalised rather than refused, so limits saved before still read back;
 * a request's body is then held to namespaceProblem (healing/settingsWrites.ts), which stored rows are not.
 */
export const namespaceEntrySchema = z.string().trim().toLowerCase().min(1);

const KUBERNETES_NAME_LENGTH = 63;

/** Why a word is not a namespace's name (a DNS-1123 label): the policies and the limits compare with those only. */
export function namespaceProblem(word: string): string | undefined {
  if (word.length > KUBERNETES_NAME_LENGTH) {
    return `A namespace name is at most ${KUBERNETES_NAME_LENGTH} characters (this one has ${word.length})`;
  }
  return isK8sName(word, 'namespace')
    ? undefined
    : `"${word}" is not a namespace name: lower-case letters, digits and -, starting and ending with a letter or digit`;
}

/**
 * A label name of Prometheus' classic grammar: letters, digits and _, not starting with a digit. The only
 * names Prometheus 2 takes, and the ones PromQL writes bare.
 */
export const CLASSIC_LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// In a JS string invalid UTF-8 shows as a lone surrogate: nothing encodes it, so no Prometheus answer carries it.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why a word is not a label name a watch can use. Prometheus 3 takes any non-empty UTF-8 (prometheus/common
 * model.LabelName.IsValid under UTF8Validation): `service.name` as well as `job`. Names starting with `__` stay
 * allowed, as before: a query's answer can carry one (label_replace may set it), and a stored watch naming one
 * must still read. U+0000 is valid UTF-8, but no store keeps it (nulText.ts).
 */
export function prometheusLabelNameProblem(word: string): string | undefined {
  return labelNameProblem(word, 'a watch');
}

/** Why a word is not a label name that `user` (a watch, a policy) can use. */
function labelNameProblem(word: string, user: string): string | undefined {
  if (word === '') {
    return 'A Prometheus label name cannot be empty';
  }
  const quoted = JSON.stringify(word);
  if (LONE_SURROGATE.test(word)) {
    return `${quoted} is not a Prometheus label name: not valid UTF-8 (it holds a lone surrogate)`;
  }
  if (word.includes('\u0000')) {
    return `${quoted} is not a label name ${user} can use: it holds U+0000 (NUL), which the stores cannot keep`;
  }
  return undefined;
}

export const prometheusLabelNameSchema = z.string().superRefine((word, ctx) => {
  const problem = prometheusLabelNameProblem(word);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
  }
});

/**
 * A label name as PromQL writes it (`on(...)`, `by (...)`, a matcher): bare when classic, so Prometheus 2 reads
 * it as before; otherwise a string literal (Go's escapes, which JSON's are), as Prometheus 3 quotes UTF-8 names.
 */
export const promqlLabelName = (name: string): string => (CLASSIC_LABEL_NAME.test(name) ? name : JSON.stringify(name));

/**
 * Why a key and value cannot be one of a policy's label selectors. The labels matched are a target's
 * Prometheus labels or an alert's, compared in the engine (healing/policies.ts), never sent to Kubernetes as a
 * label selector: a key is any name Prometheus 3 or Alertmanager gives a label (`service.name`, `région`,
 * `app.kubernetes.io/name`), and a value any text but none.
 */
export function labelMatchProblem(key: string, value: string): string | undefined {
  if (key === '') {
    return `a label to match needs a name (the one with value ${JSON.stringify(value)} has none)`;
  }
  const keyProblem = labelNameProblem(key, 'a policy');
  if (keyProblem) {
    return keyProblem;
  }
  return labelMatchValueProblem(key, value);
}

/**
 * Why a value cannot be the one a policy's label `key` must equal. Its text is compared as the stores give a
 * trigger's labels back, and PostgreSQL writes U+0000 and a lone surrogate U+FFFD (nulText.ts): a value holding
 * one would match on SQLite and never on PostgreSQL, so it is refused as a key holding one is.
 */
export function labelMatchValueProblem(key: string, value: string): string | undefined {
  // Prometheus and Alertmanager drop a label with an empty value, so no trigger carries one to match.
  if (value.trim() === '') {
    return `"${key}" has no value to match (an empty label is no label)`;
  }
  if (LONE_SURROGATE.test(value)) {
    return `the value of "${key}" is not valid UTF-8 (it holds a lone surrogate): no label carries it`;
  }
  if (value.includes('\u0000')) {
    return `the value of "${key}" holds U+0000 (NUL), which the stores cannot keep alike: PostgreSQL writes it U+FFFD`;
  }
  return undefined;
}

/** A request's check that each of `names` (at `path`) is a namespace's name; `also` names the other words the list takes. */
export function namespacesNamed(
  names: readonly string[] | undefined,
  ctx: z.RefinementCtx,
  path: PropertyKey[],
  also: readonly string[] = []
): void {
  names?.forEach((name, i) => {
    const problem = also.includes(name) ? undefined : namespaceProblem(name);
    if (problem) {
      ctx.addIssue({ code: 'custom', path: [...path, i], message: problem });
    }
  });
}
