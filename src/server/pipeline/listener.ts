import type { Anomaly } from '../../contract/pipeline';

/**
 * Who hears about anomalies as they happen (the healing engine, Grafana annotations). Called after
 * the anomaly is stored, only for anomalies still current: a replayed history or the far part of a
 * catch-up is stored and served by the API, never acted on.
 */
export interface AnomalyListener {
  opened(anomaly: Anomaly): void;
  /** The open anomaly was extended (its end, peak, severity or signals changed). */
  updated(anomaly: Anomaly): void;
  closed(anomaly: Anomaly): void;
}

/** Fans events out to several listeners; one failing does not keep the others from hearing. */
export class ListenerSet implements AnomalyListener {
  private readonly listeners: AnomalyListener[] = [];

  constructor(private readonly onError: (err: unknown, event: string) => void) {}

  add(listener: AnomalyListener): void {
    this.listeners.push(listener);
  }

  opened(anomaly: Anomaly): void {
    this.each('opened', (l) => l.opened(anomaly));
  }

  updated(anomaly: Anomaly): void {
    this.each('updated', (l) => l.updated(anomaly));
  }

  closed(anomaly: Anomaly): void {
    this.each('closed', (l) => l.closed(anomaly));
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
