import { spawn } from 'node:child_process';
import { matcherMatches, silenceMatches, type Silence, type SilenceMatcher } from './silences';

const regex = (name: string, value: string, isEqual = true): SilenceMatcher => ({
  name,
  value,
  isRegex: true,
  isEqual,
});

describe('silence matchers', () => {
  it('match a regex as Alertmanager does: RE2 syntax, anchored at both ends', () => {
    const labels = { namespace: 'shop', deployment: 'cart' };
    // (?i) is RE2 (and Go) syntax that JavaScript's RegExp refuses.
    expect(matcherMatches(regex('deployment', '(?i)CART'), labels)).toBe(true);
    expect(matcherMatches(regex('deployment', '(?i)web'), labels)).toBe(false);
    expect(matcherMatches(regex('deployment', 'car'), labels)).toBe(false);
    expect(matcherMatches(regex('namespace', 'sh.p|web'), labels)).toBe(true);
    expect(matcherMatches(regex('namespace', 'web', false), labels)).toBe(true);
  });

  it('take a missing label as the empty string, whatever Object.prototype holds', () => {
    expect(matcherMatches({ name: 'constructor', value: '', isRegex: false, isEqual: true }, {})).toBe(true);
    expect(matcherMatches(regex('toString', '.+'), {})).toBe(false);
  });

  it('count a regex that does not compile as matching: the action waits for a person', () => {
    const silence = { matchers: [regex('pod', '(a)\\1')] } as Pick<Silence, 'matchers'> as Silence;
    expect(silenceMatches(silence, { pod: 'aa' })).toBe(true);
  });

  it('match a pattern that makes a backtracking engine run for ages in time linear in the label', async () => {
    // JavaScript's RegExp takes about 2^n steps for `(a|a)*b` on n letters a: 24 took 1.6 s here, so 60
    // would hold the event loop (and /healthz) for centuries. Run in a child process, killed if it hangs.
    const code = [
      "const { matcherMatches } = require('./src/server/healing/silences.ts');",
      "const m = { name: 'pod', value: '(a|a)*b', isRegex: true, isEqual: true };",
      "process.stdout.write(String(matcherMatches(m, { pod: 'a'.repeat(60) })));",
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', code], { detached: true });
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => reject(new Error('still matching after 30 s')), 30_000);
        child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
        child.on('error', reject);
        child.on('exit', () => {
          clearTimeout(timer);
          resolve(text);
        });
      });
      expect(out).toBe('false');
    } finally {
      if (child.exitCode === null && child.pid !== undefined) {
        process.kill(-child.pid, 'SIGTERM');
      }
    }
  }, 40_000);
});
