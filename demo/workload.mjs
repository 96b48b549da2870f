// A demo service for the compose stack: three replicas of a "shop" Deployment in one process,
// exporting Prometheus metrics that behave for a while (so the models learn what normal is) and
// then develop faults:
//   from 6 min, once: shop-0 leaks memory slowly, reaching its limit (and restarting) about 3 h
//     in (memory.mjs), slowly enough for the forecaster to show a time to failure from about 2 h;
//   on a schedule repeated every CYCLE (default 20 min), from FAULT_START (default 6 min):
//     FAULT_START + 2 min, for 3 min: latency spikes on every replica;
//     FAULT_START + 4 min, for 4 min: shop-2 departs (its availability drops, its peers stay).
// No dependencies: it runs on the bare node image.
import { createServer } from 'node:http';
import { BASE_BYTES, LIMIT_BYTES, leaks, nextMemory } from './memory.mjs';

const minutes = (name, fallback) => Number(process.env[name] ?? fallback) * 60_000;
const FAULT_START_MS = minutes('FAULT_START_MINUTES', 6);
const CYCLE_MS = minutes('FAULT_CYCLE_MINUTES', 20);
const REPLICAS = ['shop-0', 'shop-1', 'shop-2'];
const startedAt = Date.now();

/** Where in the schedule we are: ms since the current cycle started. */
const phase = () => (Date.now() - startedAt) % CYCLE_MS;
const within = (from, length) => phase() >= FAULT_START_MS + from && phase() < FAULT_START_MS + from + length;

const state = Object.fromEntries(
  REPLICAS.map((pod) => [pod, { memory: BASE_BYTES, requests: 0, latencySum: 0, restarts: 0 }])
);

setInterval(() => {
  const elapsed = Date.now() - startedAt;
  for (const [pod, s] of Object.entries(state)) {
    const next = nextMemory(s.memory, leaks(pod, elapsed, s.restarts), Math.random);
    s.memory = next.bytes;
    if (next.restarted) {
      s.restarts += 1;
    }
    const spike = within(2 * 60_000, 3 * 60_000) ? 0.8 : 0;
    s.requests += 10;
    s.latencySum += 10 * (0.05 + Math.random() * 0.01 + spike);
  }
}, 1000);

const departed = () => within(4 * 60_000, 4 * 60_000);

// The exposition format wants each metric family in one group, after its TYPE line.
const metrics = () => {
  const families = [
    ['demo_memory_working_set_bytes', 'gauge', (s) => [['', Math.round(s.memory)]]],
    ['demo_memory_limit_bytes', 'gauge', () => [['', LIMIT_BYTES]]],
    ['demo_restarts_total', 'counter', (s) => [['', s.restarts]]],
    [
      'demo_request_duration_seconds',
      'summary',
      (s) => [
        ['_sum', s.latencySum.toFixed(3)],
        ['_count', s.requests],
      ],
    ],
  ];
  const labels = (pod) => `namespace="demo",deployment="shop",pod="${pod}"`;
  const present = Object.entries(state).filter(([pod]) => !(pod === 'shop-2' && departed()));
  const lines = ['# TYPE demo_replica_up gauge'];
  for (const pod of REPLICAS) {
    lines.push(`demo_replica_up{${labels(pod)}} ${pod === 'shop-2' && departed() ? 0 : 1}`);
  }
  for (const [name, type, samples] of families) {
    lines.push(`# TYPE ${name} ${type}`);
    for (const [pod, s] of present) {
      for (const [suffix, value] of samples(s)) {
        lines.push(`${name}${suffix}{${labels(pod)}} ${value}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
};

createServer((req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(metrics());
  } else {
    res.writeHead(404);
    res.end();
  }
}).listen(Number(process.env.PORT ?? 8080));
