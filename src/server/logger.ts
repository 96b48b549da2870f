import pino, { type Logger } from 'pino';

/** Structured JSON logs on stdout; credentials are redacted wherever they could appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'failureprophet-backend' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'headers.authorization',
          // The Kubernetes token and CA Grafana's proxy adds on PUT /api/admin/kubernetes.
          'req.headers["x-fp-kube-token"]',
          'headers["x-fp-kube-token"]',
          'req.headers["x-fp-kube-ca"]',
          'headers["x-fp-kube-ca"]',
          '*.apiToken',
          '*.alertToken',
          '*.token',
          'apiToken',
          'alertToken',
          'token',
          // The password /metrics scrapes send (metrics.basicAuth), wherever the config or its part is logged.
          'metrics.basicAuth.password',
          '*.metrics.basicAuth.password',
          'basicAuth.password',
          '*.basicAuth.password',
        ],
        censor: '[redacted]',
      },
    },
    destination
  );
}
