import pino from 'pino';
import { peerGroupKey, PeerGroups } from './peerGroups';
import { TargetModel } from './targetModel';
import { stepValuesOf, testSettings } from './testTargets';
import { targetId } from './targets';

const settings = testSettings({
  detector: 'failureprophet',
  stepMs: 60_000,
  probation: 10,
  horizonSteps: 12,
  detailPoints: 60,
});

function aligned(labels: Record<string, string>, value: number): { target: TargetModel; value: number } {
  const m = new TargetModel(targetId('w', labels), 'w', labels, null, settings, 0.24);
  m.signalIndex({ name: 'load', kind: 'other' });
  return { target: m, value };
}

describe('peer group keys', () => {
  it('tell apart groups whose label values hold what the key writes between labels', () => {
    const one = { a: 'x,b=y', b: 'z' };
    const other = { a: 'x', b: 'y,b=z' };
    expect(peerGroupKey(['a', 'b'], one)).not.toBe(peerGroupKey(['a', 'b'], other));
    expect(peerGroupKey(['a'], { a: 'x\\' })).not.toBe(peerGroupKey(['a'], { a: 'x\\\\' }));
    expect(peerGroupKey(['a', 'b'], { a: 'x\\', b: 'y' })).not.toBe(peerGroupKey(['a', 'b'], { a: 'x\\,b=y' }));
  });

  it('groups the replicas of each of two such groups apart, three and three', () => {
    const groups = new PeerGroups(['a', 'b'], ['load']);
    const targets = [1, 2, 3].flatMap((i) => [
      aligned({ a: 'x,b=y', b: 'z', pod: `p${i}` }, i),
      aligned({ a: 'x', b: 'y,b=z', pod: `q${i}` }, i),
    ]);
    const found = groups.of(stepValuesOf(targets));
    expect(found.map((g) => g.members.map((m) => m.target.labels.pod))).toEqual([
      ['p1', 'p2', 'p3'],
      ['q1', 'q2', 'q3'],
    ]);
  });

  it('keys values without a comma or backslash as before, so their stored groups resume', async () => {
    const labels = { deployment: 'web', namespace: 'shop=eu' };
    expect(peerGroupKey(['namespace', 'deployment'], labels)).toBe('namespace=shop=eu,deployment=web');
    const targets = [1, 2, 3].map((i) => aligned({ ...labels, pod: `p${i}` }, i));
    const members = targets.map((t) => t.target.id).sort();
    const stored = {
      'namespace=shop=eu,deployment=web/load': {
        members,
        state: {
          format: 'failureprophet.peers',
          version: 1,
          smoothing: 0.3,
          scaleSmoothing: 0.02,
          smoothed: [0, 0, 0],
          scale: 42,
        },
      },
    };
    const groups = new PeerGroups(['namespace', 'deployment'], ['load']);
    await groups.restore(async () => stored, pino({ level: 'silent' }), 'w');
    const step = stepValuesOf(targets);
    groups.score(groups.of(step), step);
    const after = groups.toStore()!['namespace=shop=eu,deployment=web/load'];
    expect(after.members).toEqual(members);
    // Resumed: the stored spread moved by one smoothed step, not a fresh group's first spread (about 1.5).
    expect((after.state as { scale: number }).scale).toBeGreaterThan(40);
  });
});
