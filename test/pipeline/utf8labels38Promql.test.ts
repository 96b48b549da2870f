import { watchSchema } from '../../src/contract/watches';
import { labelKey } from '../../src/server/prometheus/resilient';
import type { RangeQuery } from '../../src/server/prometheus/client';
import { narrowedWatch } from '../../src/server/pipeline/retraining';
import { fetchScrapeHealth } from '../../src/server/pipeline/vanished';
import { children, descendants, groupingLabels, parsed, stringValue } from './utf8labels38Grammar';

// Prometheus 3 takes UTF-8 label names, quoted in PromQL (`on("service.name")`): what retraining writes
// must parse under its grammar (utf8labels38Grammar.ts), each name and value reading back as the one meant.
describe('the PromQL that retraining writes, read by the Prometheus 3 grammar', () => {
  const query = 'sum by (job) (rate(http_requests_total[5m]))';
  const watch = watchSchema.parse({
    name: 'otel',
    queries: { traffic: query },
    target: ['k8s.namespace.name', 'service.name', 'job', 'say "hi"\\ ,=}'],
  });
  const targets = [
    { 'k8s.namespace.name': 'shop', 'service.name': 'cart', job: 'api', 'say "hi"\\ ,=}': 'x' },
    { 'k8s.namespace.name': '', 'service.name': 'cost $1 "q"', job: 'web', 'say "hi"\\ ,=}': '' },
  ];

  it('matches on the target labels and sets each target’s values, names quoted where not classic', () => {
    const narrowed = narrowedWatch(watch, targets).queries.traffic;
    const tree = parsed(narrowed);

    // `(<query>) and on(<labels>) (<sets>)`: the watch's query as written, matched on its target labels.
    const [matching] = descendants(tree, 'MatchingModifierClause');
    expect(groupingLabels(narrowed, descendants(matching, 'GroupingLabels')[0])).toEqual(watch.target);
    expect(narrowed.startsWith(`(${query}) and on(`)).toBe(true);

    // Each target's set: label_replace per label, the outermost first, a `$` doubled (not a capture group).
    const replaced = descendants(tree, 'FunctionCall')
      .filter((call) => narrowed.slice(call.from, call.to).startsWith('label_replace('))
      .map((call) => {
        const args = children(descendants(call, 'FunctionCallBody')[0]).filter((a) => a.name === 'StringLiteral');
        return args.map((a) => stringValue(narrowed, a));
      });
    expect(replaced).toEqual(
      targets.flatMap((labels) =>
        [...watch.target]
          .reverse()
          .map((name) => [name, labels[name as keyof typeof labels].replaceAll('$', '$$$$'), '', ''])
      )
    );
  });

  it('writes classic names bare, as Prometheus 2 reads them, and only the others quoted', () => {
    const mixed = watchSchema.parse({ name: 'w', queries: { up: 'up' }, target: ['job', 'service.name'] });
    const narrowed = narrowedWatch(mixed, [{ job: 'api', 'service.name': 'cart' }]).queries.up;
    expect(narrowed).toBe(
      '(up) and on(job, "service.name") (label_replace(label_replace(vector(1), "job", "api", "", ""), "service.name", "cart", "", ""))'
    );
    parsed(narrowed);
  });
});

describe('the scrape-health query and series keys with UTF-8 label names', () => {
  it('asks `up` by the target labels, names quoted where not classic', async () => {
    const watch = watchSchema.parse({ name: 'otel', queries: { up: 'up' }, target: ['job', 'service.name'] });
    const asked: RangeQuery[] = [];
    const querier = {
      queryRange: async (query: RangeQuery) => {
        asked.push(query);
        return [];
      },
    };
    // One target absent from the chunk: scrape health is looked up.
    await fetchScrapeHealth(querier, watch, new Map(), 1, () => new Map(), 0, watch.step);
    expect(asked.map((q) => q.query)).toEqual(['max by (job, "service.name") (up)']);
    const [grouping] = descendants(parsed(asked[0].query), 'GroupingLabels');
    expect(groupingLabels(asked[0].query, grouping)).toEqual(['job', 'service.name']);
  });

  it('keys two series apart however their label names read, and keeps classic keys as they were', () => {
    expect(labelKey({ a: '1', b: '2' })).not.toBe(labelKey({ 'a="1",b': '2' }));
    expect(labelKey({ job: 'api', instance: 'x:9100' })).toBe('instance="x:9100",job="api"');
  });
});
