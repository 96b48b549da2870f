import type { Anomaly, FeedbackKind, FeedbackSource, KubernetesObject } from '../../contract/pipeline';

/**
 * An anomaly as the loop has it when it changes, with what its listeners need of its target at
 * that step, so that none of them reads the target or the anomaly back from the pipeline.
 */
export interface AnomalyEvent {
  /** As stored (its id is the store's); without feedback, which is given later and by hand. */
  anomaly: Omit<Anomaly, 'feedback'>;
  /** What healing would act on: the target's Kubernetes object, when its watch or labels name one. */
  object: KubernetesObject | null;
  /** The target's score at the last step scored. */
  score: number;
  /** The target's predicted limit crossing (epoch ms), when it has a time-to-failure forecast. */
  predictedFailureAt?: number;
}

/** Feedback just recorded on an anomaly: what was said, and by whom (an operator, or healing's verification). */
export interface FeedbackEvent {
  anomalyId: number;
  kind: FeedbackKind;
  source: FeedbackSource;
  user: string | null;
}

/**
 * Who hears about anomalies as they happen (the healing engine, Grafana annotations). Called after
 * the anomaly is stored, only for anomalies still current: a replayed history or the far part of a
 * catch-up is stored and served by the API, never acted on.
 */
export interface AnomalyListener {
  opened(event: AnomalyEvent): void;
  /** The open anomaly was extended (its end, peak, severity or signals changed). */
  updated(event: AnomalyEvent): void;
  closed(event: AnomalyEvent): void;
  /** Feedback on an anomaly was stored, on the replica that took it (any anomaly, current or not). */
  feedback?(event: FeedbackEvent): void;
}

/** Fans events out to several listeners; one failing does not keep the others from hearing. */
export class ListenerSet implements AnomalyListener {
  private readonly listeners: AnomalyListener[] = [];

  constructor(private readonly onError: (err: unknown, event: string) => void) {}

  add(listener: AnomalyListener): void {
    this.listeners.push(listener);
  }

  opened(event: AnomalyEvent): void {
    this.each('opened', (l) => l.opened(event));
  }

  updated(event: AnomalyEvent): void {
    this.each('updated', (l) => l.updated(event));
  }

  closed(event: AnomalyEvent): void {
    this.each('closed', (l) => l.closed(event));
  }

  feedback(event: FeedbackEvent): void {
    this.each('feedback', (l) => l.feedback?.(event));
  }

  private each(event: string, call: (l: AnomalyListener) => void): void {
    for (const l of this.listeners) {
      try {
        call(l);
      } catch (err) {
        this.onError(err, event);
      }
    }
  }
}
