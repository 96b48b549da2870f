import type { CordonResult } from '../../contract/healing';
import { PatchStrategy, V1Node } from '@kubernetes/client-node';
import { call, dryRunParam, FIELD_VALIDATION, KubeClient } from './client';
import { KubeRequest, KubeResult, ok } from './errors';
import { guardedWrite, guardOf } from './guardedWrite';

export interface NodeParams {
  node: string;
  dryRun?: boolean;
  /** For a cordon: the action cordoning, named on the node by the cordon's own PATCH (CORDONED_BY). */
  owner?: string;
}

/**
 * Which action cordoned a node, written in the same PATCH as `spec.unschedulable: true` and deleted
 * (a strategic merge patch's null) by the uncordon's: one write says both, so an action that
 * stopped before it could save that it cordoned the node still finds its cordon its own.
 */
export const CORDONED_BY = 'failureprophet.io/cordoned-by';
export const cordonedBy = (node: V1Node): string | undefined => node.metadata?.annotations?.[CORDONED_BY];

/** A cordon or uncordon, and the action the node named as its cordoner when it was read, before the change. */
export type NodeChange = CordonResult & { cordonedBy?: string };

const nodeRequest = (verb: KubeRequest['verb'], node: string): KubeRequest => ({
  verb,
  resource: 'nodes',
  group: '',
  name: node,
});

export function readNode(client: KubeClient, node: string): Promise<KubeResult<V1Node>> {
  return call(client, nodeRequest('get', node), (options) => client.core.readNode({ name: node }, options));
}

/**
 * Cordons or uncordons from a fresh read. The PATCH carries the resourceVersion of that read, so a
 * cordon or uncordon by someone else landing in between fails it with 409 and we decide again from
 * a new read (guardedWrite.ts): without it, our cordon would take an operator's cordon for its own
 * (and undo it on failure), and our uncordon would give back a node someone cordoned again meanwhile.
 */
async function setUnschedulable(
  client: KubeClient,
  params: NodeParams,
  unschedulable: boolean
): Promise<KubeResult<NodeChange>> {
  const action = unschedulable ? 'cordon' : 'uncordon';
  return guardedWrite<V1Node, NodeChange>(
    `node ${params.node}`,
    unschedulable ? 'cordoned' : 'uncordoned',
    () => readNode(client, params.node),
    async (current) => {
      const wasSchedulable = current.spec?.unschedulable !== true;
      const by = cordonedBy(current);
      const result = {
        action,
        node: params.node,
        wasSchedulable,
        schedulable: !unschedulable,
        dryRun: params.dryRun === true,
        ...(by === undefined ? {} : { cordonedBy: by }),
      } as const;
      if (wasSchedulable === !unschedulable) {
        return ok({
          ...result,
          changed: false,
          summary: `node ${params.node} already ${unschedulable ? 'cordoned' : 'schedulable'}`,
        });
      }
      // An uncordon deletes the annotation (null) when there is one: no one's cordon is left to name.
      const owner = unschedulable ? params.owner : by === undefined ? undefined : null;
      const annotations = owner === undefined ? {} : { annotations: { [CORDONED_BY]: owner } };
      const guard = guardOf(
        `node ${params.node}`,
        unschedulable ? 'cordoned' : 'uncordoned',
        nodeRequest('patch', params.node),
        current.metadata?.resourceVersion
      );
      if (!guard.ok) {
        return guard;
      }
      const patched = await call(
        client,
        nodeRequest('patch', params.node),
        (options) =>
          client.core.patchNode(
            {
              name: params.node,
              body: {
                metadata: { resourceVersion: guard.value, ...annotations },
                spec: { unschedulable },
              },
              dryRun: dryRunParam(params.dryRun),
              fieldValidation: FIELD_VALIDATION,
            },
            options
          ),
        PatchStrategy.StrategicMergePatch
      );
      if (!patched.ok) {
        return patched;
      }
      return ok({
        ...result,
        changed: true,
        summary: params.dryRun
          ? unschedulable
            ? `would cordon node ${params.node}: no new pods would be scheduled on it`
            : `would uncordon node ${params.node}: it would accept new pods again`
          : unschedulable
            ? `node ${params.node} cordoned: no new pods will be scheduled on it`
            : `node ${params.node} uncordoned: it accepts new pods again`,
      });
    }
  );
}

export const cordon = (client: KubeClient, params: NodeParams) => setUnschedulable(client, params, true);
export const uncordon = (client: KubeClient, params: NodeParams) => setUnschedulable(client, params, false);

export type { CordonResult };
