import type { z } from 'zod';
import { isK8sName } from '../../contract/vocabulary';
import { watchDefinitionSchema } from '../../contract/watches';

/** Field errors keyed by dotted path ("match.severities", "action.replicas"), in words for people. */
export type FieldErrors = Record<string, string>;

export function fieldErrors(result: z.ZodSafeParseResult<unknown>, prefix = ''): FieldErrors {
  const errors: FieldErrors = {};
  if (result.success) {
    return errors;
  }
  for (const issue of result.error.issues) {
    const key = prefix + issue.path.map(String).join('.');
    errors[key] ??= describeIssue(issue);
  }
  return errors;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') {
        return Number(issue.minimum) <= 1 ? 'Required' : `At least ${issue.minimum} characters`;
      }
      // positive() is "greater than 0", not "at least 0".
      return issue.inclusive === false ? `Must be greater than ${issue.minimum}` : `Must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'string' ? `At most ${issue.maximum} characters` : `Must be at most ${issue.maximum}`;
    case 'invalid_type':
      if (issue.expected === 'int' || issue.expected === 'number') {
        return 'Must be a whole number';
      }
      return 'Required';
    case 'unrecognized_keys':
      return `Unknown field ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

/** Labels as "key=value" tags, and back; the field refuses a tag labelSelectorProblem finds wrong, so each splits. */
export function labelsToTags(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
}

export function tagsToLabels(tags: string[]): Record<string, string> | undefined {
  return tags.length ? Object.fromEntries(tags.map(splitSelector)) : undefined;
}

/** A selector tag's key and value around its first "=" (a second one is labels.Parse's "=="), spaces dropped. */
function splitSelector(tag: string): [key: string, value: string] {
  const at = tag.indexOf('=');
  if (at < 0) {
    return [tag.trim(), ''];
  }
  const value = tag.slice(at + 1);
  return [tag.slice(0, at).trim(), (value.startsWith('=') ? value.slice(1) : value).trim()];
}

/**
 * Why a tag cannot be one of a policy's label selectors, beside the ones it has. Each is one equality
 * requirement of Kubernetes' selector grammar (labels.Parse): "key=value" or "key==value"; the policy
 * matches equality only, so "!=", "in (...)" and a bare key are refused, and "," would be two.
 * The labels matched are a target's Prometheus labels or an alert's, not an object's: a key may be a
 * Prometheus label name as well as a Kubernetes label key, and a value any text.
 */
export function labelSelectorProblem(tag: string, tags: readonly string[]): string | undefined {
  if (tag.includes(',')) {
    return `"${tag}" holds more than one selector: add each key=value on its own`;
  }
  if (!tag.includes('=')) {
    return `"${tag}" is not a label selector: write key=value`;
  }
  const [key, value] = splitSelector(tag);
  if (key.endsWith('!')) {
    return `"${tag}" is not an equality: a policy matches labels equal to a value (key=value)`;
  }
  if (key === '') {
    return `"${tag}" names no label: write key=value`;
  }
  const keyProblem = labelKeyProblem(key);
  if (keyProblem) {
    return keyProblem;
  }
  if (value === '') {
    // Prometheus and Alertmanager drop a label with an empty value, so no trigger carries one.
    return `"${tag}" has no value: write key=value (an empty label is no label)`;
  }
  const same = tags.find((other) => splitSelector(other)[0] === key);
  return same === undefined ? undefined : `"${key}" is already matched (${same}): a label has one value`;
}

const PROMETHEUS_LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Kubernetes' qualified name (IsQualifiedName): an optional DNS-subdomain prefix and "/", then this.
const KUBERNETES_LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const KUBERNETES_NAME_LENGTH = 63;
const DNS_SUBDOMAIN_LENGTH = 253;

function labelKeyProblem(key: string): string | undefined {
  if (PROMETHEUS_LABEL_NAME.test(key)) {
    return undefined;
  }
  const parts = key.split('/');
  if (parts.length > 2) {
    return `"${key}" is not a label name: one "/" at most, after a DNS prefix`;
  }
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefix = parts[0];
    if (prefix.length > DNS_SUBDOMAIN_LENGTH) {
      return `A label prefix is at most ${DNS_SUBDOMAIN_LENGTH} characters (this one has ${prefix.length})`;
    }
    if (!isK8sName(prefix)) {
      return `"${prefix}/" is not a label prefix: a DNS subdomain (lower-case letters, digits, - and .)`;
    }
  }
  if (name.length > KUBERNETES_NAME_LENGTH) {
    return parts.length === 2
      ? `The label name after "/" is at most ${KUBERNETES_NAME_LENGTH} characters (this one has ${name.length})`
      : `A label name is at most ${KUBERNETES_NAME_LENGTH} characters unless it is letters, digits and _ only (this one has ${name.length})`;
  }
  return KUBERNETES_LABEL_NAME.test(name)
    ? undefined
    : `"${name}" is not a label name: letters, digits, - _ and ., starting and ending with a letter or digit`;
}

/** Why a word is not a namespace's name (a DNS-1123 label); what the policies and the limits compare with. */
export function namespaceProblem(word: string): string | undefined {
  if (word.length > KUBERNETES_NAME_LENGTH) {
    return `A namespace name is at most ${KUBERNETES_NAME_LENGTH} characters (this one has ${word.length})`;
  }
  return isK8sName(word, 'namespace')
    ? undefined
    : `"${word}" is not a namespace name: lower-case letters, digits and -, starting and ending with a letter or digit`;
}

/** Why a word is not a watch's name, by the rule the watches are saved with. */
export function watchNameProblem(word: string): string | undefined {
  const result = watchDefinitionSchema.shape.name.safeParse(word);
  return result.success ? undefined : `"${word}" is not a watch name: ${result.error.issues[0].message}`;
}

/** A number input's value: undefined when empty, so optional fields stay unset. */
export function numberOrUndefined(value: string): number | undefined {
  if (value.trim() === '') {
    return undefined;
  }
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** A Field's invalid / error props for a reason that may not be shown yet (before the form is touched). */
export function fieldProblem(error: string | undefined, shown = true): { invalid: boolean; error?: string } {
  return shown && error ? { invalid: true, error } : { invalid: false };
}
