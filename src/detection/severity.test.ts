import { assess } from './severity';

describe('severity and failure model', () => {
  it('calls a target that went down a critical crash', () => {
    const a = assess({ signals: [{ name: 'up', kind: 'up', score: 0.95, direction: 'below' }] });
    expect(a).toMatchObject({ severity: 'critical', failureModel: 'crash' });
  });

  it('calls memory heading for its limit resource exhaustion, graded by time to failure', () => {
    const mem = (ttf: number) =>
      assess({ signals: [{ name: 'mem', kind: 'memory', score: 0.1, direction: 'above', timeToFailureSeconds: ttf }] });
    expect(mem(600)).toMatchObject({ severity: 'critical', failureModel: 'resource_exhaustion' });
    expect(mem(2400).severity).toBe('high');
    expect(mem(4 * 3600).severity).toBe('medium');
    expect(mem(Infinity).severity).toBe('low');
  });

  it('calls a restart or a stop as a resource reaches its limit the exhaustion it is, and one far from it a crash', () => {
    const restarted = (ttf: number, kind: 'restarts' | 'up' = 'restarts') =>
      assess({
        signals: [
          { name: 'mem', kind: 'memory', score: 0, direction: 'below', timeToFailureSeconds: ttf },
          { name: kind, kind, score: 1, direction: kind === 'up' ? 'below' : 'above' },
        ],
      });
    expect(restarted(30)).toMatchObject({ severity: 'critical', failureModel: 'resource_exhaustion' });
    expect(restarted(30).reasons[0]).toMatch(/restarted or stopped as a resource reached its limit/);
    expect(restarted(0, 'up').failureModel).toBe('resource_exhaustion');
    // A crossing still an hour or more away did not make the target restart: a crash, as without a forecast.
    expect(restarted(3600).failureModel).toBe('crash');
    expect(restarted(Infinity).failureModel).toBe('crash');
  });

  it('calls latency up with traffic down a network partition', () => {
    const a = assess({
      signals: [
        { name: 'p99', kind: 'latency', score: 0.7, direction: 'above' },
        { name: 'rps', kind: 'traffic', score: 0.6, direction: 'below' },
      ],
    });
    expect(a.failureModel).toBe('network_partition');
    expect(a.severity).toBe('medium');
  });

  it('calls a replica departing from its peers byzantine', () => {
    const a = assess({ signals: [{ name: 'cpu', kind: 'cpu', score: 0.6, direction: 'above' }], peerOutlier: true });
    expect(a.failureModel).toBe('byzantine');
    expect(a.reasons.length).toBeGreaterThan(1);
  });
});

describe('failure model by kind and direction', () => {
  it('never calls a temperature dip resource exhaustion; a rise towards the thermal limit is', () => {
    const temp = (direction: 'above' | 'below') =>
      assess({ signals: [{ name: 'temperature', kind: 'temperature', score: 0.7, direction }] });
    expect(temp('below').failureModel).toBe('crash');
    expect(temp('above').failureModel).toBe('resource_exhaustion');
  });

  it('grades memory that moved the harmless way (freed) low', () => {
    const a = assess({ signals: [{ name: 'memory', kind: 'memory', score: 0.7, direction: 'below' }] });
    expect(a.severity).toBe('low');
    const up = assess({ signals: [{ name: 'memory', kind: 'memory', score: 0.7, direction: 'above' }] });
    expect(up).toMatchObject({ severity: 'medium', failureModel: 'resource_exhaustion' });
  });
});
