// The healing engine as the multi-replica and drain tests open and tick it: on one replica's store,
// the Kubernetes API test server and its FakeClock, logging nothing, with metrics of its own unless given.

import pino from 'pino';
import { Registry } from 'prom-client';
import { HealingEngine, type HealingEngineDeps } from '../../src/server/healing';
import type { Store } from '../../src/server/store/store';
import type { Harness } from '../kube/harness';

/** What a test chooses for its engine: the rest comes from the harness and the store. */
export type EngineChoices = Omit<Partial<HealingEngineDeps>, 'store' | 'kube' | 'clock' | 'logger'>;

export const engineOn = (h: Harness, store: Store, choices: EngineChoices = {}): Promise<HealingEngine> =>
  HealingEngine.open({
    ...choices,
    store,
    kube: h.client,
    clock: h.clock,
    logger: pino({ level: 'silent' }),
    metrics: choices.metrics ?? new Registry(),
  });

/** One tick of the engine, and whatever it started, done. */
export async function tickDone(engine: HealingEngine): Promise<void> {
  await engine.tick();
  await engine.idle();
}
