import { fingerprintOf, objectFromLabels, triggerFromAlert, triggerIdOf } from './alerts';

describe('alerts as triggers', () => {
  it('maps kube-state-metrics labels to the object, most specific workload first', () => {
    expect(objectFromLabels({ namespace: 'shop', deployment: 'cart', pod: 'cart-1' })).toEqual({
      kind: 'deployment',
      namespace: 'shop',
      name: 'cart',
    });
    expect(objectFromLabels({ namespace: 'shop', pod: 'cart-1', node: 'n1' })).toEqual({
      kind: 'pod',
      namespace: 'shop',
      name: 'cart-1',
    });
    expect(objectFromLabels({ node: 'n1', instance: 'n1:9100' })).toEqual({ kind: 'node', name: 'n1' });
    expect(objectFromLabels({ deployment: 'cart' })).toBeUndefined();
  });

  it('maps labels that are not Kubernetes names to no object, so no Kubernetes action can name it', () => {
    // An alert sender, or a rule over labels a scraped target set itself, writes these values.
    expect(objectFromLabels({ namespace: 'shop', pod: '..' })).toBeUndefined();
    expect(objectFromLabels({ namespace: 'shop', pod: '.' })).toBeUndefined();
    expect(objectFromLabels({ namespace: 'KUBE-SYSTEM', deployment: 'coredns' })).toBeUndefined();
    expect(objectFromLabels({ namespace: 'shop', deployment: 'cart%2F..' })).toBeUndefined();
    expect(objectFromLabels({ node: '..' })).toBeUndefined();
  });

  it("reads the rule's severity label as alerting rules spell it", () => {
    const alert = (severity?: string) =>
      triggerFromAlert(
        { status: 'firing', labels: { alertname: 'X', ...(severity ? { severity } : {}) }, annotations: {} },
        0
      ).severity;
    expect([alert('critical'), alert('warning'), alert('info'), alert('ERROR'), alert()]).toEqual([
      'critical',
      'medium',
      'low',
      'high',
      'medium',
    ]);
  });

  it("takes only the table's own words as severities: Object's methods are not severities", () => {
    for (const severity of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
      const trigger = triggerFromAlert({ status: 'firing', labels: { alertname: 'X', severity }, annotations: {} }, 0);
      expect(trigger.severity).toBe('medium');
    }
  });

  it('uses the sent fingerprint, or one from the sorted labels that does not depend on their order', () => {
    expect(fingerprintOf({ status: 'firing', labels: { a: '1' }, annotations: {}, fingerprint: 'abc' })).toBe('abc');
    const one = fingerprintOf({ status: 'firing', labels: { a: '1', b: '2' }, annotations: {} });
    expect(fingerprintOf({ status: 'resolved', labels: { b: '2', a: '1' }, annotations: {} })).toBe(one);
  });

  it('keeps when it started and what it says', () => {
    const t = triggerFromAlert(
      {
        status: 'firing',
        labels: { alertname: 'Down' },
        annotations: { description: 'gone' },
        startsAt: '2025-06-01T12:00:00Z',
      },
      5
    );
    expect(t).toMatchObject({
      source: 'alert',
      watch: 'Down',
      summary: 'gone',
      startedAt: Date.parse('2025-06-01T12:00:00Z'),
    });
  });

  it('one trigger per firing episode: the same alert firing again later may be healed again', () => {
    const episode = (startsAt: string, status: 'firing' | 'resolved' = 'firing') =>
      triggerIdOf({ status, labels: {}, annotations: {}, fingerprint: 'f1', startsAt });
    expect(episode('2025-06-01T12:00:00Z')).toBe('f1@2025-06-01T12:00:00.000Z');
    expect(episode('2025-06-01T12:00:00.000Z', 'resolved')).toBe(episode('2025-06-01T12:00:00Z'));
    expect(episode('2025-06-01T13:00:00Z')).not.toBe(episode('2025-06-01T12:00:00Z'));
  });
});
