// Wires the real Kubernetes client to the test server, with time that only moves when slept or
// advanced: request timeouts and timers included, so no test depends on how fast a busy machine answers.

import type { Clock } from '../../src/server/clock';
import { kubeClientFromOptions, KubeClient } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { KubeTestServer, KubeTestServerOptions, startKubeTestServer } from './server';

/** Something due at a time of this clock: a request's timeout, or a timer (repeating when `every` is set). */
interface Due {
  at: number;
  every?: number;
  fire: () => void;
}

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  /** Runs at each sleep, before it returns: the place to change the cluster "meanwhile". */
  onSleep?: (totalSleptMs: number) => void;
  private ms: number;
  private readonly due: Due[] = [];

  constructor(start = '2025-06-01T12:00:00.000Z') {
    this.ms = Date.parse(start);
  }

  now = (): number => this.ms;

  elapsed = (): number => this.ms;

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
    this.sleeps.push(ms);
    this.onSleep?.(this.sleeps.reduce((a, b) => a + b, 0));
  }

  /** Aborts, as AbortSignal.timeout does, only when this clock is moved past `ms` from now. */
  timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.schedule({
      at: this.ms + ms,
      fire: () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    });
    return controller.signal;
  }

  every(ms: number, fn: () => void): () => void {
    return this.schedule({ at: this.ms + ms, every: ms, fire: fn });
  }

  after(ms: number, fn: () => void): () => void {
    return this.schedule({ at: this.ms + ms, fire: fn });
  }

  /** Moves time on, firing what falls due in the order it falls due (a timer as often as its period fits). */
  advance(ms: number): void {
    const until = this.ms + ms;
    for (let next = this.earliest(until); next; next = this.earliest(until)) {
      this.ms = next.at;
      if (next.every === undefined) {
        this.due.splice(this.due.indexOf(next), 1);
      } else {
        next.at += next.every;
      }
      next.fire();
    }
    this.ms = until;
  }

  /** How many timers and timeouts are waiting: a test's check that what it started was stopped. */
  pending(): number {
    return this.due.length;
  }

  private schedule(due: Due): () => void {
    this.due.push(due);
    return () => {
      const i = this.due.indexOf(due);
      if (i >= 0) {
        this.due.splice(i, 1);
      }
    };
  }

  private earliest(until: number): Due | undefined {
    return this.due.filter((d) => d.at <= until).sort((a, b) => a.at - b.at)[0];
  }
}
export const TOKEN = 'test-token';

export interface Harness {
  kube: KubeTestServer;
  client: KubeClient;
  clock: FakeClock;
}

export async function startHarness(
  options: KubeTestServerOptions & { requestTimeoutMs?: number } = {}
): Promise<Harness> {
  const kube = await startKubeTestServer({ token: TOKEN, ...options });
  const clock = new FakeClock();
  const client = kubeClientFromOptions(
    kubernetesOptionsSchema.parse({
      mode: 'endpoint',
      url: kube.url,
      token: TOKEN,
      requestTimeoutMs: options.requestTimeoutMs ?? 2000,
    }),
    clock
  );
  return { kube, client, clock };
}

/** `clock` as read on a node whose clock runs `skewMs` ahead (timers still fire on `clock`). */
export function skewed(clock: Clock, skewMs: number): Clock {
  return {
    now: () => clock.now() + skewMs,
    elapsed: () => clock.elapsed(),
    sleep: (ms) => clock.sleep(ms),
    timeout: (ms) => clock.timeout(ms),
    every: (ms, fn) => clock.every(ms, fn),
    after: (ms, fn) => clock.after(ms, fn),
  };
}
