import type { Logger } from 'pino';
import type { AnswerWarning } from '../../contract/pipeline';

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

/**
 * The newest warning of a watch's answers, as its status shows it (the log says each once:
 * AnswerWarnings): the one that appeared or changed last among its queries' latest answers. A
 * query's warning stays while its answers warn (`at` the last that did) and goes with the first
 * answer that does not: a note of what the scores come from now, not a history.
 */
export class NewestWarning {
  /** By query, in the order their warnings appeared: the newest last. */
  private readonly byQuery = new Map<string, AnswerWarning>();

  heard(query: string, warnings: string[], at: number): void {
    const message = warnings.join('; ');
    // Set again, a key keeps its place: the same warning stays as old as it is.
    if (this.byQuery.get(query)?.message !== message) {
      this.byQuery.delete(query);
    }
    if (warnings.length > 0) {
      this.byQuery.set(query, { query, message, at });
    }
  }

  get newest(): AnswerWarning | undefined {
    return [...this.byQuery.values()].pop();
  }
}
