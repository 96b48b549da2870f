import { startBuiltBackend, type BackendProcess } from '../prometheus/backendProcess';
import { startHugeUpstream, type HugeUpstream } from '../prometheus/hugeUpstream';

const MiB = 1024 * 1024;

/** One watch on the upstream, every 2 s, so the loop meets the huge answer again and again. */
const config = (url: string) => `
prometheus:
  url: ${url}
  timeout: 5m
watches:
  - name: huge
    queries:
      value: huge
    step: 2s
    history: 10m
`;

describe('a 100 MB Prometheus answer against the built backend', () => {
  it('keeps the process under 300 MB, /healthz answering throughout, and shows the watch degraded with the limit', async () => {
    let upstream: HugeUpstream | undefined;
    let backend: BackendProcess | undefined;
    try {
      upstream = await startHugeUpstream(100 * MiB);
      // With credentials in the URL, as some set-ups write them: sent as Basic auth, shown nowhere.
      backend = await startBuiltBackend(config(upstream.url.replace('http://', 'http://reader:hunter2-pw@')));
      const auth = { authorization: `Bearer ${backend.token}` };
      const failures: string[] = [];
      let polls = 0;
      // Until the loop has met (and dropped) the huge answer three times, /healthz is asked every 50 ms;
      // a process that outgrows the budget or stops answering ends the wait at once.
      const bounded = () => backend!.peakRssBytes() < 300 * MiB && failures.length < 3 && polls < 4000;
      while (upstream.abortedAnswers() < 3 && bounded()) {
        polls++;
        const status = await fetch(`${backend.base}/healthz`, { signal: AbortSignal.timeout(30_000) }).then(
          (r) => String(r.status),
          (err: Error) => err.name
        );
        if (status !== '200') {
          failures.push(status);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(failures).toEqual([]);
      expect(upstream.abortedAnswers()).toBeGreaterThanOrEqual(3);
      const { watches } = (await fetch(`${backend.base}/api/watches`, { headers: auth }).then((r) => r.json())) as {
        watches: Array<{ name: string; degraded: boolean; lastError: { kind: string; message: string } | null }>;
      };
      const watch = watches.find((w) => w.name === 'huge');
      expect(watch?.degraded).toBe(true);
      expect(watch?.lastError?.kind).toBe('too_large');
      expect(watch?.lastError?.message).toContain(
        'the answer was larger than 32 MiB; narrow the query or raise prometheus.maxResponseBytes'
      );
      expect(backend.peakRssBytes()).toBeLessThan(300 * MiB);
      const readyz = await fetch(`${backend.base}/readyz`).then((r) => r.text());
      for (const shown of [JSON.stringify(watches), readyz, backend.output()]) {
        expect(shown).not.toContain('hunter2-pw');
      }
      expect(JSON.stringify(watches)).toContain('reader:***@127.0.0.1');
    } finally {
      await backend?.stop();
      await upstream?.stop();
    }
  }, 300_000);
});
