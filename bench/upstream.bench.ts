/**
 * A huge upstream answer: the built backend (node dist bundle, as the container runs it) watches
 * a Prometheus stand-in whose every query_range answer is 100 MB of JSON. /healthz is asked every
 * 50 ms until the watch loop has met and dropped the answer five times: its latency (p50 / p99 /
 * max) and the process' peak resident memory (VmHWM) say whether one answer can freeze it.
 * Then, in this process, an answer just under the default limit is read and parsed whole: how long
 * the longest event-loop stall was, which is what the limit bounds.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PrometheusClient } from '../src/server/prometheus/client';
import { startBuiltBackend, type BackendProcess } from '../test/prometheus/backendProcess';
import { startHugeUpstream, type HugeUpstream } from '../test/prometheus/hugeUpstream';

const MiB = 1024 * 1024;
const ANSWERS = 5;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function run(): Promise<void> {
  let upstream: HugeUpstream | undefined;
  let backend: BackendProcess | undefined;
  try {
    upstream = await startHugeUpstream(100 * MiB);
    backend = await startBuiltBackend(
      `prometheus:\n  url: ${upstream.url}\n  timeout: 5m\nwatches:\n  - name: huge\n    queries:\n      value: huge\n    step: 2s\n    history: 10m\n`
    );
    const latencies: number[] = [];
    let failed = 0;
    const started = performance.now();
    while (upstream.abortedAnswers() < ANSWERS && performance.now() - started < 300_000) {
      const t = performance.now();
      const ok = await fetch(`${backend.base}/healthz`, { signal: AbortSignal.timeout(30_000) }).then(
        (r) => r.ok,
        () => false
      );
      latencies.push(performance.now() - t);
      failed += ok ? 0 : 1;
      await new Promise((r) => setTimeout(r, 50));
    }
    latencies.sort((a, b) => a - b);
    console.log(
      `100 MB query_range answers met and dropped: ${upstream.abortedAnswers()} (bytes the upstream sent: ${(upstream.bytesSent() / MiB).toFixed(0)} MiB)`
    );
    console.log(
      `/healthz during them: ${latencies.length} requests, ${failed} failed; p50 ${quantile(latencies, 0.5).toFixed(1)} ms, p99 ${quantile(latencies, 0.99).toFixed(1)} ms, max ${latencies[latencies.length - 1].toFixed(1)} ms`
    );
    console.log(`backend peak RSS (VmHWM): ${(backend.peakRssBytes() / MiB).toFixed(0)} MiB`);
  } finally {
    await backend?.stop();
    await upstream?.stop();
  }
  await underTheLimit(31 * MiB);
}

async function underTheLimit(bytes: number): Promise<void> {
  const upstream = await startHugeUpstream(bytes);
  try {
    const client = new PrometheusClient({ baseUrl: upstream.url, timeoutMs: 300_000 });
    const stalls = monitorEventLoopDelay({ resolution: 10 });
    stalls.enable();
    const t = performance.now();
    const [series] = await client.queryRange({ query: 'huge', start: 0, end: 60_000, stepMs: 60_000 });
    const total = performance.now() - t;
    stalls.disable();
    console.log(
      `a ${(bytes / MiB).toFixed(0)} MiB answer (${series.values.length.toLocaleString('en')} samples) read and parsed: ${total.toFixed(0)} ms, longest event-loop stall ${(stalls.max / 1e6).toFixed(0)} ms`
    );
  } finally {
    await upstream.stop();
  }
}
