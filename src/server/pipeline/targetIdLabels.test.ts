import { targetIdLabels } from './targetIdLabels';
import { targetId } from './targets';

// A retrain request's target may be gone (nothing lists it): its labels, read back from its id, say
// whose share it was (a peer group's, for a watch with peers). What targetId writes must read back.
describe('targetIdLabels', () => {
  it('reads back the labels targetId wrote, whatever their values hold', () => {
    const fleet: Array<Record<string, string>> = [
      {},
      { job: 'api' },
      { namespace: 'shop', deployment: 'web', pod: 'web-7d9f' },
      { job: 'a,b="c"}', path: '\\x\\"', empty: '' },
      { job: 'ünïcödé \n\t end', other: '{job="x"}' },
    ];
    for (const labels of fleet) {
      expect(targetIdLabels('w', targetId('w', labels))).toEqual(labels);
    }
  });

  it("reads a value's U+0000 as the U+FFFD targetId stores", () => {
    expect(targetIdLabels('w', targetId('w', { job: 'a\u0000b' }))).toEqual({ job: 'a\ufffdb' });
  });

  it("refuses another watch's id and text no targetId writes", () => {
    for (const id of [
      'v{job="a"}',
      'ww{job="a"}',
      'w{job="a"',
      'w{job=a}',
      'w{job="a",}',
      'w{job="a"x="b"}',
      'w{="a"}',
      'w{job="\\q"}',
      'w{job="a}',
    ]) {
      expect(targetIdLabels('w', id)).toBeUndefined();
    }
  });
});
