import type { z } from 'zod';
import { ALERT_LIMITS } from '../../contract/alertLimits';
import { labelMatchProblem, labelMatchValueProblem } from '../../contract/vocabulary';

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

/** One row of a label editor: a label's name and the value it must equal, each exactly as typed. */
export interface LabelPair {
  key: string;
  value: string;
}

/**
 * Whose labels a policy's field matches: `target` (match.labels), a target's Prometheus labels or an
 * alert's; `alert` (match.alertLabels), an alert's only, which POST /api/alerts bounds (alertLimits.ts).
 */
export type MatchedLabels = 'target' | 'alert';

/** Why each row of a label editor cannot be saved as it is: its key's reason and its value's (a blank row has none). */
export interface LabelPairProblems {
  key?: string;
  value?: string;
}

// Any value the PUT takes: with it, labelMatchProblem says what it finds wrong with the key alone.
const A_VALUE = 'v';

function labelKeyProblem(key: string, matched: MatchedLabels): string | undefined {
  if (key === '') {
    return "Enter the label's name";
  }
  if (matched === 'alert' && key.length > ALERT_LIMITS.nameLength) {
    return `An alert's label names are at most ${ALERT_LIMITS.nameLength} characters (this one has ${key.length}): no alert carries a longer one`;
  }
  return labelMatchProblem(key, A_VALUE);
}

function labelValueProblem({ key, value }: LabelPair, matched: MatchedLabels): string | undefined {
  // Prometheus and Alertmanager drop a label with an empty value; the PUT refuses spaces alone too.
  if (value.trim() === '') {
    return value === '' ? 'Enter the value the label must equal' : 'Enter a value other than spaces alone';
  }
  if (matched === 'alert' && value.length > ALERT_LIMITS.labelValueLength) {
    return `An alert's label values are at most ${ALERT_LIMITS.labelValueLength} characters (this one has ${value.length}): no alert carries a longer one`;
  }
  // The PUT's own rule for the rest (U+0000, a lone surrogate).
  return labelMatchValueProblem(key, value);
}

/**
 * Why each row cannot be one of a policy's label matchers. A value is a Prometheus label value, any
 * text but none: "=", ",", quotes and spaces at either end are part of it. A key is a label's name as
 * the PUT takes it (labelMatchProblem: any name Prometheus 3 gives a label, UTF-8 too), and a label
 * has one value, so a key repeated names the row that matches it first.
 */
export function labelPairProblems(rows: readonly LabelPair[], matched: MatchedLabels): LabelPairProblems[] {
  return rows.map((row, i) => {
    if (row.key === '' && row.value === '') {
      return {};
    }
    const first = rows.findIndex((other) => other.key === row.key);
    const key =
      row.key !== '' && first < i
        ? `"${row.key}" is already matched in row ${first + 1}: a label has one value`
        : labelKeyProblem(row.key, matched);
    return { key, value: labelValueProblem(row, matched) };
  });
}

/** The rows as a policy keeps them, every name and value as typed; blank rows are none, and no rows no condition. */
export function labelsOfPairs(rows: readonly LabelPair[]): Record<string, string> | undefined {
  // A Map, then fromEntries: an assignment would take "__proto__" (a Prometheus label name) for the prototype.
  const labels = new Map<string, string>();
  for (const { key, value } of rows) {
    // A repeated key is refused on its row; the first keeps its value meanwhile.
    if ((key !== '' || value !== '') && !labels.has(key)) {
      labels.set(key, value);
    }
  }
  return labels.size > 0 ? Object.fromEntries(labels) : undefined;
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
