import { targetIdLabels } from './targetIdLabels';
import { targetId } from './targets';

// Prometheus 3's label names may hold anything a target id is written with (`"`, `=`, `,`, `}`): an id
// must still name one label set and read back as it, and the ids stored for classic names keep matching.
describe('target ids of UTF-8 label names', () => {
  const sets: Array<Record<string, string>> = [
    { 'service.name': 'cart', 'k8s.namespace.name': 'shop' },
    { 'a="1",b': '2' },
    { a: '1', b: '2' },
    { 'x}': 'y', 'w{': '' },
    { '"': '"', '=': '=', ',': ',', '\\': '\\', ' ': ' ' },
    { 'ünï cödé 📈': 'v', job: 'api' },
    { '1st': 'a', 'say "hi"\\': '$1' },
  ];

  it('reads back the labels targetId wrote, whatever their names hold', () => {
    for (const labels of sets) {
      expect(targetIdLabels('w', targetId('w', labels))).toEqual(labels);
    }
  });

  it('gives different label sets different ids', () => {
    const ids = sets.map((labels) => targetId('w', labels));
    expect(new Set(ids).size).toBe(sets.length);
  });

  it('writes the names as PromQL does, and classic names byte for byte as before', () => {
    expect(targetId('w', { 'service.name': 'cart', job: 'api' })).toBe('w{job="api","service.name"="cart"}');
    expect(targetId('w', { namespace: 'shop', pod: 'web-1', __name__: 'up' })).toBe(
      'w{__name__="up",namespace="shop",pod="web-1"}'
    );
  });

  it('refuses a name written other than as targetId writes it: one target, one id', () => {
    for (const id of ['w{"job"="a"}', 'w{a.b="x"}', 'w{"a.b="x"}', 'w{"a\\q"="x"}', 'w{"a.b"x="y"}']) {
      expect(targetIdLabels('w', id)).toBeUndefined();
    }
  });
});
