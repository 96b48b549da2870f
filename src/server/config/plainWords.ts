/**
 * Zod's default messages ("Invalid input: expected number, received NaN") in plain words, so the
 * config loader and the HTTP error handler say what a key must hold. A message a schema wrote
 * itself (e.g. "at least 16 characters") is already in plain words and is kept.
 */
export interface IssueLike {
  code: string;
  message: string;
  expected?: unknown;
  received?: unknown;
  origin?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: unknown;
  values?: unknown;
  format?: unknown;
  keys?: unknown;
  divisor?: unknown;
  errors?: unknown;
}

/** Zod's own messages start with these; anything else was written by a schema. */
const DEFAULT_MESSAGE = /^(Invalid|Too small|Too big|Unrecognized key)/;

const KINDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  record: 'a mapping of names to values',
  object: 'a mapping of keys to values',
  array: 'a list',
  date: 'a date',
  bigint: 'a whole number',
};

/** What is wrong with a key, as the rest of a sentence that starts with the key's name. */
export function plainIssue(issue: IssueLike): string {
  if (!DEFAULT_MESSAGE.test(issue.message)) {
    return issue.message;
  }
  switch (issue.code) {
    case 'invalid_type':
      return typeIssue(issue);
    case 'too_small':
      return sizeIssue(issue, 'at least', 'more than');
    case 'too_big':
      return sizeIssue(issue, 'at most', 'less than');
    case 'invalid_value':
      return valueIssue(issue);
    case 'invalid_format':
      return issue.format === 'url'
        ? 'must be a URL such as http://host:9090'
        : `must be a valid ${String(issue.format)}`;
    case 'unrecognized_keys':
      return `has keys it does not know (check their spelling): ${list(issue.keys).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'invalid_union':
      return unionIssue(issue);
    default:
      return issue.message;
  }
}

function kind(expected: unknown): string {
  return KINDS[String(expected)] ?? `a ${String(expected)}`;
}

function typeIssue(issue: IssueLike): string {
  // Zod sets `received` for a few inputs (NaN); otherwise its message ends with what it received.
  const received = issue.received ?? /received (\w+)$/.exec(issue.message)?.[1];
  if (received === 'undefined') {
    return `is missing: it must be ${kind(issue.expected)}`;
  }
  return `must be ${kind(issue.expected)}`;
}

function sizeIssue(issue: IssueLike, inclusiveWord: string, exclusiveWord: string): string {
  const bound = issue.minimum ?? issue.maximum;
  const word = issue.inclusive === false ? exclusiveWord : inclusiveWord;
  switch (issue.origin) {
    case 'string':
      return `must be ${word} ${String(bound)} characters long`;
    case 'array':
    case 'set':
      return `must have ${word} ${String(bound)} ${bound === 1 ? 'item' : 'items'}`;
    default:
      return `must be ${word} ${String(bound)}`;
  }
}

function valueIssue(issue: IssueLike): string {
  const values = list(issue.values).map((v) => JSON.stringify(v));
  return values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;
}

/** A union names the kinds it accepts when each branch failed on the type alone. */
function unionIssue(issue: IssueLike): string {
  const branches = list(issue.errors).map((branch) => list(branch) as IssueLike[]);
  const kinds = branches.map((b) => (b.length === 1 && b[0].code === 'invalid_type' ? kind(b[0].expected) : undefined));
  if (kinds.length > 0 && kinds.every((k) => k !== undefined)) {
    return `must be ${[...new Set(kinds)].join(' or ')}`;
  }
  return 'matches none of the forms this key accepts (see the configuration reference)';
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
