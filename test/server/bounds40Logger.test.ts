import { Writable } from 'node:stream';
import { configSchema } from '../../src/server/config/schema';
import { createLogger } from '../../src/server/logger';

// The password /metrics scrapes send (metrics.basicAuth) is a credential like the tokens: whatever logs the
// config, or its metrics part, writes it redacted.

const PASSWORD = 'a-scrape-password-that-must-not-leak';

it("redacts metrics.basicAuth's password wherever the config or its part is logged", () => {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    })
  );
  const config = configSchema.parse({
    metrics: { requireAuth: true, basicAuth: { username: 'prometheus', password: PASSWORD } },
  });
  logger.info(config, 'the whole config');
  logger.info({ config }, 'the config as a field');
  logger.info({ metrics: config.metrics }, 'its metrics part');
  logger.info({ basicAuth: config.metrics.basicAuth }, 'the credentials alone');

  expect(lines).toHaveLength(4);
  for (const line of lines) {
    expect(line).not.toContain(PASSWORD);
    expect(line).toContain('"username":"prometheus","password":"[redacted]"');
  }
});
