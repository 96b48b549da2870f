import type { Logger } from 'pino';
import { z } from 'zod';
import { answerSnippet, NO_REDIRECTS, readBoundedText, SMALL_ANSWER_BYTES } from '../prometheus/bounded';
import { redactCredentialsIn } from '../prometheus/credentials';
import type { Clock } from '../clock';
import { asPlainText } from '../plainText';
import type { AnomalyEvent, AnomalyListener } from './listener';
import type { PipelineRepository } from './store/repository';

export interface AnnotatorOptions {
  grafanaUrl: string;
  /** A Grafana service-account token with annotations:write (Editor). */
  token: string;
  repo: PipelineRepository;
  logger: Logger;
  /** Times out each call to Grafana. */
  clock: Pick<Clock, 'timeout'>;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** Grafana's answer to creating an annotation: its id, to update it later. */
const createdSchema = z.object({ id: z.number().int() });

/** Tags on every annotation, so a dashboard's annotation query can select them. */
export const ANNOTATION_TAGS = ['failureprophet', 'anomaly'];

/**
 * Writes a region annotation in Grafana when an anomaly opens and stretches it when it grows or
 * closes. Calls for one anomaly are chained, so a close never overtakes the create. A failed call
 * is logged once per anomaly and never slows the loop.
 */
export class GrafanaAnnotator implements AnomalyListener {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly chains = new Map<number, Promise<void>>();
  private readonly failed = new Set<number>();

  constructor(private readonly o: AnnotatorOptions) {
    this.base = o.grafanaUrl.replace(/\/+$/, '');
    this.fetchImpl = o.fetch ?? fetch;
  }

  opened({ anomaly }: AnomalyEvent): void {
    this.chain(anomaly, () => this.write(anomaly));
  }

  updated({ anomaly }: AnomalyEvent): void {
    this.chain(anomaly, () => this.write(anomaly));
  }

  closed({ anomaly }: AnomalyEvent): void {
    this.chain(anomaly, () => this.write(anomaly));
  }

  /** Resolves when every pending call has finished (shutdown and tests). */
  async flush(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  private chain(a: AnomalyEvent['anomaly'], call: () => Promise<void>): void {
    const next = (this.chains.get(a.id) ?? Promise.resolve()).then(call).catch((err: Error) => {
      if (!this.failed.has(a.id)) {
        this.failed.add(a.id);
        this.o.logger.warn({ anomaly: a.id, err: redactCredentialsIn(err.message) }, 'Grafana annotation not written');
      }
    });
    this.chains.set(a.id, next);
    if (a.state === 'closed') {
      void next.finally(() => {
        if (this.chains.get(a.id) === next) {
          this.chains.delete(a.id);
        }
      });
    }
  }

  private async write(a: AnomalyEvent['anomaly']): Promise<void> {
    const body = {
      time: a.start,
      timeEnd: a.end,
      tags: [
        ...ANNOTATION_TAGS,
        `watch:${a.watch}`,
        `severity:${a.severity}`,
        `failure_model:${a.failureModel}`,
        `state:${a.state}`,
      ],
      text: asPlainText(
        `${a.state === 'open' ? 'Anomaly' : 'Anomaly (closed)'} on ${a.target}: ${a.severity}, ${a.failureModel.replace('_', ' ')}, peak score ${a.peakScore.toFixed(2)}; signals: ${a.signals.join(', ') || 'none'}`
      ),
    };
    const existing = await this.o.repo.annotationOf(a.id);
    const response = await this.fetchImpl(
      existing === null ? `${this.base}/api/annotations` : `${this.base}/api/annotations/${existing}`,
      {
        method: existing === null ? 'POST' : 'PATCH',
        ...NO_REDIRECTS,
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${this.o.token}` },
        body: JSON.stringify(body),
        signal: this.o.clock.timeout(this.o.timeoutMs ?? 10_000),
      }
    );
    if (!response.ok) {
      throw new Error(
        `Grafana answered HTTP ${response.status} to ${existing === null ? 'creating' : 'updating'} an annotation: ${await answerSnippet(response)}`
      );
    }
    if (existing === null) {
      const created = createdSchema.safeParse(JSON.parse(await readBoundedText(response, SMALL_ANSWER_BYTES)));
      if (created.success) {
        await this.o.repo.setAnnotation(a.id, created.data.id);
      }
    }
  }
}
