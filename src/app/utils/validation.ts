import type { z } from 'zod';
import { labelMatchProblem } from '../../contract/vocabulary';

// The words a tag field takes, by the rules the backend saves them with.
export { namespaceProblem, prometheusLabelNameProblem } from '../../contract/vocabulary';
export { watchNameProblem } from '../../contract/watches';

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
 * matches equality only, so "!=", "in (...)" and a bare key are refused, and "," would be two. The key
 * and value then pass the rule the backend saves policies with (labelMatchProblem).
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
  const problem = labelMatchProblem(key, value);
  if (problem) {
    return problem;
  }
  const same = tags.find((other) => splitSelector(other)[0] === key);
  return same === undefined ? undefined : `"${key}" is already matched (${same}): a label has one value`;
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
