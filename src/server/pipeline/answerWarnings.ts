import type { Logger } from 'pino';

/**
 * What a watch's answers warned of (Prometheus' warnings and infos, native histogram samples that
 * are not scored), logged when a query's warnings appear or change, not at every answer: a partial
 * answer (Thanos with a store down) leaves targets out, and an operator asking why they look gone
 * finds it in the log. Told every answer's warnings (none: an empty list, which ends the spell).
 */
export class AnswerWarnings {
  private readonly said = new Map<string, string>();

  constructor(
    private readonly logger: Logger,
    private readonly watch: string
  ) {}

  readonly heard = (query: string, warnings: string[]): void => {
    if (warnings.length === 0) {
      this.said.delete(query);
      return;
    }
    const text = warnings.join('; ');
    if (this.said.get(query) === text) {
      return;
    }
    this.said.set(query, text);
    this.logger.warn(
      { watch: this.watch, query, warnings },
      `watch ${this.watch}: the answer to ${query} warns: ${text}`
    );
  };
}
