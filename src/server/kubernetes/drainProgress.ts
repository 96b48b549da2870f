import { z } from 'zod';
import { podRefSchema } from '../../contract/healing';

// Apart from drainRun.ts so the store's row decoders (and the list workers that read them) can check
// stored progress without loading the Kubernetes client, about 40 MB of a worker's heap.

/** What a drain has done so far; the engine persists it and hands it back to resume. */
export const drainProgressSchema = z.object({
  /** This drain cordoned the node (it was schedulable before), so a failure may uncordon it. */
  cordonedByDrain: z.boolean(),
  /** Pods whose eviction the API server accepted. Identified by UID: a same-named replacement is another pod. */
  evicted: z.array(podRefSchema),
});
export type DrainProgress = z.infer<typeof drainProgressSchema>;
