// Wires the real Kubernetes client to the test server, with time that only moves when slept or
// advanced: request timeouts included, so no test depends on how fast a busy machine answers.

import { Clock } from '../../src/server/kubernetes/clock';
import { kubeClientFromOptions, KubeClient } from '../../src/server/kubernetes/client';
import { kubernetesOptionsSchema } from '../../src/server/kubernetes/config';
import { KubeTestServer, KubeTestServerOptions, startKubeTestServer } from './server';

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  /** Runs at each sleep, before it returns: the place to change the cluster "meanwhile". */
  onSleep?: (totalSleptMs: number) => void;
  private ms: number;
  private readonly timeouts: Array<{ at: number; controller: AbortController }> = [];

  constructor(start = '2025-06-01T12:00:00.000Z') {
    this.ms = Date.parse(start);
  }

  now(): Date {
    return new Date(this.ms);
  }

  async sleep(ms: number): Promise<void> {
    this.advance(ms);
    this.sleeps.push(ms);
    this.onSleep?.(this.sleeps.reduce((a, b) => a + b, 0));
  }

  /** Aborts, as AbortSignal.timeout does, only when this clock is moved past `ms` from now. */
  timeout(ms: number): AbortSignal {
    const controller = new AbortController();
    this.timeouts.push({ at: this.ms + ms, controller });
    return controller.signal;
  }

  /** Moves time on, firing the request timeouts that fall due. */
  advance(ms: number): void {
    this.ms += ms;
    for (const t of this.timeouts.filter((t) => t.at <= this.ms)) {
      this.timeouts.splice(this.timeouts.indexOf(t), 1);
      t.controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }
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
