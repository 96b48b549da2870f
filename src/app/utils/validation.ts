import type { z } from 'zod';

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

/** Labels as "key=value" tags for TagsInput, and back; a tag without "=" is refused with the reason. */
export function labelsToTags(labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`);
}

export function tagsToLabels(tags: string[]): { labels?: Record<string, string>; error?: string } {
  const labels: Record<string, string> = {};
  for (const tag of tags) {
    const at = tag.indexOf('=');
    if (at <= 0) {
      return { error: `"${tag}" is not a label selector: write key=value` };
    }
    labels[tag.slice(0, at).trim()] = tag.slice(at + 1).trim();
  }
  return { labels: Object.keys(labels).length ? labels : undefined };
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
