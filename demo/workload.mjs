// A demo service for the compose stack: it exposes Prometheus metrics that drift towards failure
// (a memory leak that restarts at its limit, latency with occasional spikes), with no dependencies.
import { createServer } from 'node:http';

const LIMIT_BYTES = 512 * 1024 * 1024;
const startedAt = Date.now();
let memory = 120 * 1024 * 1024;
let restarts = 0;
let requests = 0;
let latencySum = 0;

setInterval(() => {
  memory += 64 * 1024 + Math.random() * 32 * 1024;
  if (memory >= LIMIT_BYTES) {
    memory = 120 * 1024 * 1024;
    restarts += 1;
  }
  const spike = Math.random() < 0.01 ? 1.5 : 0;
  requests += 10;
  latencySum += 10 * (0.05 + Math.random() * 0.02 + spike);
}, 1000);

const metrics = () =>
  [
    '# TYPE demo_memory_working_set_bytes gauge',
    `demo_memory_working_set_bytes ${Math.round(memory)}`,
    '# TYPE demo_memory_limit_bytes gauge',
    `demo_memory_limit_bytes ${LIMIT_BYTES}`,
    '# TYPE demo_restarts_total counter',
    `demo_restarts_total ${restarts}`,
    '# TYPE demo_request_duration_seconds summary',
    `demo_request_duration_seconds_sum ${latencySum.toFixed(3)}`,
    `demo_request_duration_seconds_count ${requests}`,
    '# TYPE demo_uptime_seconds gauge',
    `demo_uptime_seconds ${Math.round((Date.now() - startedAt) / 1000)}`,
    '',
  ].join('\n');

createServer((req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(metrics());
  } else {
    res.writeHead(404);
    res.end();
  }
}).listen(Number(process.env.PORT ?? 8080));
