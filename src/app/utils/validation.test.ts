import * as vocabulary from '../../contract/vocabulary';
import * as watches from '../../contract/watches';
import {
  labelSelectorProblem,
  labelsToTags,
  namespaceProblem,
  prometheusLabelNameProblem,
  tagsToLabels,
  watchNameProblem,
} from './validation';

describe('the words the tag fields take', () => {
  it('are refused by the rules the backend saves them with, declared once in the contract', () => {
    expect(namespaceProblem).toBe(vocabulary.namespaceProblem);
    expect(watchNameProblem).toBe(watches.watchNameProblem);
    expect(prometheusLabelNameProblem).toBe(vocabulary.prometheusLabelNameProblem);
  });
});

describe('labelSelectorProblem', () => {
  // The longest key Kubernetes takes: a 253-character DNS-subdomain prefix, "/", a 63-character name.
  const prefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
  const longestKey = `${prefix}/${'n'.repeat(63)}`;

  it.each([
    ['app=cart'],
    ['app==cart'],
    [' app = cart '],
    [`${longestKey}=${'v'.repeat(63)}`],
    ['app.kubernetes.io/name=cart'],
    // Prometheus label names: a leading "_", any length; values any text (an instance's host:port).
    ['__name__=up'],
    [`${'x'.repeat(100)}=1`],
    ['instance=10.0.0.1:9100'],
  ])('takes %s', (tag) => {
    expect(labelSelectorProblem(tag, [])).toBeUndefined();
  });

  it.each([
    ['app', '"app" is not a label selector: write key=value'],
    ['!app', '"!app" is not a label selector: write key=value'],
    ['app in (cart,web)', '"app in (cart,web)" holds more than one selector: add each key=value on its own'],
    ['app=cart,tier=web', '"app=cart,tier=web" holds more than one selector: add each key=value on its own'],
    ['app!=cart', '"app!=cart" is not an equality: a policy matches labels equal to a value (key=value)'],
    ['=cart', '"=cart" names no label: write key=value'],
    ['app=', '"app" has no value: write key=value (an empty label is no label)'],
    ['-app=cart', '"-app" is not a label name: letters, digits, - _ and ., starting and ending with a letter or digit'],
    ['a/b/c=d', '"a/b/c" is not a label name: one "/" at most, after a DNS prefix'],
    [
      'Example.com/app=cart',
      '"Example.com/" is not a label prefix: a DNS subdomain (lower-case letters, digits, - and .)',
    ],
    [`${prefix}x/app=cart`, 'A label prefix is at most 253 characters (this one has 254)'],
    [`${prefix}/${'n'.repeat(64)}=cart`, 'The label name after "/" is at most 63 characters (this one has 64)'],
    [
      `${'n'.repeat(63)}.x=cart`,
      'A label name is at most 63 characters unless it is letters, digits and _ only (this one has 65)',
    ],
  ])('refuses %s with the reason', (tag, reason) => {
    expect(labelSelectorProblem(tag, [])).toBe(reason);
  });

  it('refuses a second value for a label the selectors already match', () => {
    expect(labelSelectorProblem('app = web', ['tier=web', 'app==cart'])).toBe(
      '"app" is already matched (app==cart): a label has one value'
    );
    expect(labelSelectorProblem('apps=web', ['app=cart'])).toBeUndefined();
  });
});

describe('tagsToLabels', () => {
  it('reads each tag as labels.Parse does, and none as no condition', () => {
    expect(tagsToLabels([' app = cart ', 'tier==web', 'instance=10.0.0.1:9100'])).toEqual({
      app: 'cart',
      tier: 'web',
      instance: '10.0.0.1:9100',
    });
    expect(tagsToLabels([])).toBeUndefined();
    expect(labelsToTags({ app: 'cart' })).toEqual(['app=cart']);
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

describe('prometheusLabelNameProblem', () => {
  it('takes a label name of any length and refuses one Prometheus would not, saying why', () => {
    expect(prometheusLabelNameProblem('__name__')).toBeUndefined();
    expect(prometheusLabelNameProblem(`pod_${'x'.repeat(100)}`)).toBeUndefined();
    for (const word of ['1st', 'app.kubernetes.io/name', 'my label', 'pod-name', '']) {
      expect(prometheusLabelNameProblem(word)).toBe(
        `"${word}" is not a Prometheus label name: letters, digits and _, not starting with a digit`
      );
    }
  });
});
