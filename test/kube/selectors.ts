// Label selectors as apimachinery evaluates them, for the test server's list queries and budgets:
// - the query syntax (`app=web,tier in (a,b),track notin (canary),!legacy,ready`) parsed as
//   labels.Parse does it (staging/src/k8s.io/apimachinery/pkg/labels/selector.go: Lexer, Parser,
//   NewRequirement), its error texts included, so a malformed selector is refused as the server
//   refuses it;
// - the object form (matchLabels, matchExpressions) converted as metav1.LabelSelectorAsSelector does
//   (apimachinery/pkg/apis/meta/v1/helpers.go): a nil selector matches nothing, an empty one ({})
//   everything, an unknown operator or an invalid requirement is an error;
// - Requirement.Matches: In / = / == need the key with one of the values, NotIn / != match a missing
//   key too, Exists and DoesNotExist look at the key only, Gt / Lt compare integers.

export type Operator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

/** Either requirements that must all hold, or labels.Nothing() (a nil selector). */
export type Selector = Requirement[] | 'nothing';

export class SelectorError extends Error {}

// IsQualifiedName and IsValidLabelValue (apimachinery/pkg/util/validation/validation.go).
const qualifiedName = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** IsQualifiedName's errors for a label key (also an annotation key's rule, on its lowercased form). */
export function labelKeyErrors(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character with an optional DNS subdomain prefix and '/'",
    ];
  }
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  const errors: string[] = [];
  if (prefix !== undefined) {
    if (prefix.length === 0) {
      errors.push('prefix part must be non-empty');
    } else if (prefix.length > 253 || !dns1123Subdomain.test(prefix)) {
      errors.push(
        "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
      );
    }
  }
  if (name.length === 0) {
    errors.push('name part must be non-empty');
  } else if (name.length > 63) {
    errors.push('name part must be no more than 63 characters');
  } else if (!qualifiedName.test(name)) {
    errors.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    );
  }
  return errors;
}

function validateLabelKey(key: string, path: string): string | undefined {
  const errors = labelKeyErrors(key);
  return errors.length ? `${path}Invalid value: ${JSON.stringify(key)}: ${errors.join('; ')}` : undefined;
}

function validateLabelValue(key: string, value: string, path: string): string | undefined {
  if (value.length > 63) {
    return `${path}[${key}]: Invalid value: ${JSON.stringify(value)}: must be no more than 63 characters`;
  }
  if (!labelValue.test(value)) {
    return `${path}[${key}]: Invalid value: ${JSON.stringify(value)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/** NewRequirement's checks; its errors aggregated as field.ErrorList words them. */
export function newRequirement(key: string, operator: Operator, values: string[]): Requirement {
  const errors: string[] = [];
  const keyError = validateLabelKey(key, 'key: ');
  if (keyError) {
    errors.push(keyError);
  }
  const shown = `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
  switch (operator) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errors.push(`values: Invalid value: ${shown}: for 'in', 'notin' operators, values set can't be empty`);
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) {
        errors.push(`values: Invalid value: ${shown}: exact-match compatibility requires one single value`);
      }
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errors.push(`values: Invalid value: ${shown}: values set must be empty for exists and does not exist`);
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errors.push(`values: Invalid value: ${shown}: for 'Gt', 'Lt' operators, exactly one value is required`);
      }
      values.forEach((v, i) => {
        if (!/^[+-]?\d+$/.test(v)) {
          errors.push(
            `values[${i}]: Invalid value: ${JSON.stringify(v)}: for 'Gt', 'Lt' operators, the value must be an integer`
          );
        }
      });
      break;
  }
  values.forEach((v, i) => {
    const valueError = validateLabelValue(key, v, `values[${i}]`);
    if (valueError) {
      errors.push(valueError);
    }
  });
  if (errors.length === 1) {
    throw new SelectorError(errors[0]);
  }
  if (errors.length > 1) {
    throw new SelectorError(`[${errors.join(', ')}]`);
  }
  return { key, operator, values };
}

// The lexer's tokens (labels.Token) and its literal table (string2token).
type Token = 'error' | 'end' | ')' | ',' | '!' | '==' | '=' | '>' | 'identifier' | 'in' | '<' | '!=' | 'notin' | '(';
const literalTokens: Record<string, Token> = {
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
};
const isWhitespace = (ch: string) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isSpecialSymbol = (ch: string) => '=!(),><'.includes(ch);

function lex(text: string): Array<{ tok: Token; literal: string }> {
  let pos = 0;
  const read = () => (pos < text.length ? text[pos++] : '');
  const items: Array<{ tok: Token; literal: string }> = [];
  for (;;) {
    let ch = read();
    while (ch !== '' && isWhitespace(ch)) {
      ch = read();
    }
    if (ch === '') {
      items.push({ tok: 'end', literal: '' });
      return items;
    }
    pos -= 1;
    if (isSpecialSymbol(ch)) {
      // scanSpecialSymbol: the longest run of symbols that is still a token.
      let buffer = '';
      let last: { tok: Token; literal: string } | undefined;
      for (;;) {
        const c = read();
        if (c === '') {
          break;
        }
        if (!isSpecialSymbol(c)) {
          pos -= 1;
          break;
        }
        buffer += c;
        if (literalTokens[buffer]) {
          last = { tok: literalTokens[buffer], literal: buffer };
        } else if (last) {
          pos -= 1;
          break;
        }
      }
      items.push(last ?? { tok: 'error', literal: `error expected: keyword found '${buffer}'` });
    } else {
      // scanIDOrKeyword
      let buffer = '';
      for (;;) {
        const c = read();
        if (c === '') {
          break;
        }
        if (isSpecialSymbol(c) || isWhitespace(c)) {
          pos -= 1;
          break;
        }
        buffer += c;
      }
      items.push({ tok: literalTokens[buffer] ?? 'identifier', literal: buffer });
    }
  }
}

/** labels.Parse: the requirements of a selector in the query syntax, or a SelectorError in its words. */
export function parseSelector(text: string): Requirement[] {
  const items = lex(text);
  let position = 0;
  // In a value context, `in` and `notin` are identifiers (ParserContext Values).
  const asValue = (item: { tok: Token; literal: string }) =>
    item.tok === 'in' || item.tok === 'notin' ? { tok: 'identifier' as Token, literal: item.literal } : item;
  const lookahead = (values: boolean) => (values ? asValue(items[position]) : items[position]);
  const consume = (values: boolean) => {
    position += 1;
    return values ? asValue(items[position - 1]) : items[position - 1];
  };
  const binaryOperators = 'in, notin, =, ==, !=, gt, lt';

  const parseValues = (): string[] => {
    const open = consume(true);
    if (open.tok !== '(') {
      throw new SelectorError(`found '${open.literal}' expected: '('`);
    }
    const next = lookahead(true);
    if (next.tok === ')') {
      consume(true);
      return [''];
    }
    if (next.tok !== 'identifier' && next.tok !== ',') {
      throw new SelectorError(`found '${next.literal}', expected: ',', ')' or identifier`);
    }
    const values = new Set<string>();
    for (;;) {
      const item = consume(true);
      if (item.tok === 'identifier') {
        values.add(item.literal);
        const after = lookahead(true);
        if (after.tok === ',') {
          continue;
        }
        if (after.tok === ')') {
          break;
        }
        throw new SelectorError(`found '${after.literal}', expected: ',' or ')'`);
      } else if (item.tok === ',') {
        if (values.size === 0) {
          values.add('');
        }
        const after = lookahead(true);
        if (after.tok === ')') {
          values.add('');
          break;
        }
        if (after.tok === ',') {
          values.add('');
        }
      } else {
        throw new SelectorError(`found '${item.literal}', expected: ',', or identifier`);
      }
    }
    if (consume(true).tok !== ')') {
      throw new SelectorError(`found '${next.literal}', expected: ')'`);
    }
    return [...values].sort();
  };

  const parseRequirement = (): Requirement => {
    // parseKeyAndInferOperator
    let operator: Operator | undefined;
    let item = consume(true);
    if (item.tok === '!') {
      operator = '!';
      item = consume(true);
    }
    if (item.tok !== 'identifier') {
      throw new SelectorError(`found '${item.literal}', expected: identifier`);
    }
    const key = item.literal;
    const keyError = validateLabelKey(key, '');
    if (keyError) {
      throw new SelectorError(keyError);
    }
    const next = lookahead(true).tok;
    if ((next === 'end' || next === ',') && operator !== '!') {
      operator = 'exists';
    }
    if (operator === 'exists' || operator === '!') {
      return newRequirement(key, operator, []);
    }
    // parseOperator
    const op = consume(false);
    const operators: Partial<Record<Token, Operator>> = {
      in: 'in',
      '=': '=',
      '==': '==',
      '>': 'gt',
      '<': 'lt',
      notin: 'notin',
      '!=': '!=',
    };
    operator = operators[op.tok];
    if (!operator) {
      throw new SelectorError(`found '${op.literal}', expected: ${binaryOperators}`);
    }
    let values: string[];
    if (operator === 'in' || operator === 'notin') {
      values = parseValues();
    } else {
      // parseExactValue
      const ahead = lookahead(true).tok;
      if (ahead === 'end' || ahead === ',') {
        values = [''];
      } else {
        const value = consume(true);
        if (value.tok !== 'identifier') {
          throw new SelectorError(`found '${value.literal}', expected: identifier`);
        }
        values = [value.literal];
      }
    }
    return newRequirement(key, operator, values);
  };

  const requirements: Requirement[] = [];
  for (;;) {
    const ahead = lookahead(true);
    if (ahead.tok === 'end') {
      return requirements;
    }
    if (ahead.tok !== 'identifier' && ahead.tok !== '!') {
      throw new SelectorError(`found '${ahead.literal}', expected: !, identifier, or 'end of string'`);
    }
    try {
      requirements.push(parseRequirement());
    } catch (err) {
      throw new SelectorError(`unable to parse requirement: ${(err as Error).message}`);
    }
    const after = consume(true);
    if (after.tok === 'end') {
      return requirements;
    }
    if (after.tok !== ',') {
      throw new SelectorError(`found '${after.literal}', expected: ',' or 'end of string'`);
    }
    const following = lookahead(true);
    if (following.tok !== 'identifier' && following.tok !== '!') {
      throw new SelectorError(`found '${following.literal}', expected: identifier after ','`);
    }
  }
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** metav1.LabelSelectorAsSelector: nil matches nothing, {} everything; an unknown operator is an error. */
export function selectorFrom(selector: LabelSelector | null | undefined): Selector {
  if (selector === null || selector === undefined) {
    return 'nothing';
  }
  const operators: Record<string, Operator> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };
  const requirements = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => newRequirement(k, '=', [v]));
  for (const expression of selector.matchExpressions ?? []) {
    const operator = operators[expression.operator];
    if (!operator) {
      throw new SelectorError(`${JSON.stringify(expression.operator)} is not a valid pod selector operator`);
    }
    requirements.push(newRequirement(expression.key, operator, [...(expression.values ?? [])]));
  }
  return requirements;
}

/** Requirement.Matches for each requirement: all must hold. */
export function matches(selector: Selector, labels: Record<string, string> | undefined): boolean {
  if (selector === 'nothing') {
    return false;
  }
  return selector.every(({ key, operator, values }) => {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, key);
    const value = has ? labels[key] : undefined;
    switch (operator) {
      case 'in':
      case '=':
      case '==':
        return has && values.includes(value as string);
      case 'notin':
      case '!=':
        return !has || !values.includes(value as string);
      case 'exists':
        return has;
      case '!':
        return !has;
      case 'gt':
      case 'lt': {
        if (!has || !/^[+-]?\d+$/.test(value as string)) {
          return false;
        }
        const [actual, bound] = [Number(value), Number(values[0])];
        return operator === 'gt' ? actual > bound : actual < bound;
      }
    }
  });
}
