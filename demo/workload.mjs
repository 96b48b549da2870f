// A demo service for the compose stack: three replicas of a "shop" Deployment in one process,
// exporting Prometheus metrics that behave for a while (so the models learn what normal is) and
// then develop faults on a schedule, so the whole loop shows within minutes of `docker compose up`:
//   from FAULT_START (default 6 min): shop-0 leaks memory towards its limit (a time to failure);
//   FAULT_START + 2 min, for 3 min:  latency spikes on every replica (an anomaly);
//   FAULT_START + 4 min, for 4 min:  shop-2 departs (its availability drops, its peers stay).
// Then the schedule repeats every CYCLE (default 20 min), the leak restarting from normal.
// No dependencies: it runs on the bare node image.
import { createServer } from 'node:http';

const minutes = (name, fallback) => Number(process.env[name] ?? fallback) * 60_000;
const FAULT_START_MS = minutes('FAULT_START_MINUTES', 6);
const CYCLE_MS = minutes('FAULT_CYCLE_MINUTES', 20);
const LIMIT_BYTES = 512 * 1024 * 1024;
const BASE_BYTES = 160 * 1024 * 1024;
const REPLICAS = ['shop-0', 'shop-1', 'shop-2'];
const startedAt = Date.now();

/** Where in the schedule we are: ms since the current cycle started. */
const phase = () => (Date.now() - startedAt) % CYCLE_MS;
const within = (from, length) => phase() >= FAULT_START_MS + from && phase() < FAULT_START_MS + from + length;

const state = Object.fromEntries(
  REPLICAS.map((pod) => [pod, { memory: BASE_BYTES, requests: 0, latencySum: 0, restarts: 0 }])
);

// Steady noise keeps the learned band narrow; the faults stand out of it.
setInterval(() => {
  const leaking = phase() >= FAULT_START_MS;
  for (const [pod, s] of Object.entries(state)) {
    const drift = pod === 'shop-0' && leaking ? 600 * 1024 : 0;
    s.memory = Math.max(BASE_BYTES * 0.9, s.memory + drift + (Math.random() - 0.5) * 256 * 1024);
    if (!leaking && s.memory > BASE_BYTES * 1.1) {
      s.memory = BASE_BYTES;
    }
    if (s.memory >= LIMIT_BYTES) {
      s.memory = BASE_BYTES;
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
