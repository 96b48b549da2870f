import * as vocabulary from '../../contract/vocabulary';
import * as watches from '../../contract/watches';
import { ALERT_LIMITS } from '../../contract/alertLimits';
import {
  labelPairProblems,
  labelsOfPairs,
  namespaceProblem,
  prometheusLabelNameProblem,
  watchNameProblem,
  type MatchedLabels,
} from './validation';

describe('the words the tag fields take', () => {
  it('are refused by the rules the backend saves them with, declared once in the contract', () => {
    expect(namespaceProblem).toBe(vocabulary.namespaceProblem);
    expect(watchNameProblem).toBe(watches.watchNameProblem);
    expect(prometheusLabelNameProblem).toBe(vocabulary.prometheusLabelNameProblem);
  });
});

describe('labelPairProblems', () => {
  // The longest key Kubernetes takes: a 253-character DNS-subdomain prefix, "/", a 63-character name.
  const prefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  const longestKey = `${prefix}/${'n'.repeat(63)}`;
  const problemsOf = (key: string, value: string, matched: MatchedLabels = 'target') =>
    labelPairProblems([{ key, value }], matched)[0];

  it.each([
    ['app', 'cart'],
    [longestKey, 'v'.repeat(63)],
    ['app.kubernetes.io/name', 'cart'],
    // Prometheus label names: a leading "_", any length; values any text, as Prometheus keeps them.
    ['__name__', 'up'],
    [`${'x'.repeat(100)}`, '1'],
    ['instance', '10.0.0.1:9100'],
    ['note', ' a=b, "c" '],
    ['eq', '=x'],
    ['pod', `cart-${'p'.repeat(248)}`],
    // Prometheus 3's UTF-8 names, which no Kubernetes label key is: matched in the engine, never sent to Kubernetes.
    ['service.name', 'cart'],
    ['région', 'eu-ouest'],
    ['-app', 'cart'],
    ['a/b/c', 'd'],
    ['Example.com/app', 'cart'],
    [`${prefix}/${'n'.repeat(64)}`, 'cart'],
  ])('takes %s = %j', (key, value) => {
    expect(problemsOf(key, value)).toEqual({ key: undefined, value: undefined });
  });

  it.each([
    ['', 'cart', { key: "Enter the label's name" }],
    ['app', '', { value: 'Enter the value the label must equal' }],
    ['app', '  ', { value: 'Enter a value other than spaces alone' }],
    [
      'a\u0000b',
      'cart',
      { key: '"a\\u0000b" is not a label name a policy can use: it holds U+0000 (NUL), which the stores cannot keep' },
    ],
    [
      'pod\ud800',
      'cart',
      { key: '"pod\\ud800" is not a Prometheus label name: not valid UTF-8 (it holds a lone surrogate)' },
    ],
  ])('refuses %j = %j with the reason on its field', (key, value, problems) => {
    expect(problemsOf(key, value)).toEqual({ key: undefined, value: undefined, ...problems });
  });

  it("holds an alert's label to what POST /api/alerts takes, which a target's labels are not", () => {
    const name = `n${'x'.repeat(ALERT_LIMITS.nameLength)}`;
    const value = 'v'.repeat(ALERT_LIMITS.labelValueLength + 1);
    expect(problemsOf(name, value, 'alert')).toEqual({
      key: "An alert's label names are at most 128 characters (this one has 129): no alert carries a longer one",
      value: "An alert's label values are at most 1024 characters (this one has 1025): no alert carries a longer one",
    });
    expect(problemsOf(name, value, 'target')).toEqual({ key: undefined, value: undefined });
    expect(problemsOf(name.slice(1), value.slice(1), 'alert')).toEqual({ key: undefined, value: undefined });
  });

  it('finds nothing wrong with a blank row, and names the first row matching a repeated key', () => {
    const rows = [
      { key: 'app', value: 'cart' },
      { key: '', value: '' },
      { key: 'app', value: 'web' },
      { key: 'apps', value: 'web' },
    ];
    expect(labelPairProblems(rows, 'target').map((p) => p.key)).toEqual([
      undefined,
      undefined,
      '"app" is already matched in row 1: a label has one value',
      undefined,
    ]);
  });
});

describe('labelsOfPairs', () => {
  it('keeps every name and value as typed, the first of a repeated key, and no blank row', () => {
    const labels = labelsOfPairs([
      { key: 'note', value: ' a=b, "c" ' },
      { key: '', value: '' },
      { key: 'note', value: 'second' },
      { key: 'app', value: '' },
    ]);
    expect(JSON.stringify(labels)).toBe('{"note":" a=b, \\"c\\" ","app":""}');
    expect(labelsOfPairs([{ key: '', value: '' }])).toBeUndefined();
    expect(labelsOfPairs([])).toBeUndefined();
  });

  it('keeps "__proto__", a Prometheus label name, as a label', () => {
    const labels = labelsOfPairs([{ key: '__proto__', value: 'x' }]);
    expect(Object.keys(labels ?? {})).toEqual(['__proto__']);
    expect(JSON.stringify(labels)).toBe('{"__proto__":"x"}');
  });
});

describe('namespaceProblem', () => {
  it('takes a 63-character name and refuses a longer or malformed one, saying why', () => {
    expect(namespaceProblem('n'.repeat(63))).toBeUndefined();
    expect(namespaceProblem('kube-system')).toBeUndefined();
    expect(namespaceProblem('n'.repeat(64))).toBe('A namespace name is at most 63 characters (this one has 64)');
    expect(namespaceProblem('Shop')).toBe(
      '"Shop" is not a namespace name: lower-case letters, digits and -, starting and ending with a letter or digit'
    );
    expect(namespaceProblem('shop.eu')).toMatch(/^"shop.eu" is not a namespace name/);
  });
});

describe('watchNameProblem', () => {
  it("takes a watch's name of any length and refuses one the watches would not save", () => {
    expect(watchNameProblem(`node-${'x'.repeat(100)}`)).toBeUndefined();
    expect(watchNameProblem('my watch')).toBe(
      '"my watch" is not a watch name: letters, digits, _ . - (it appears in target ids and metric labels)'
    );
  });
});
