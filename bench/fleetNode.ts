/**
 * How the deployed backend runs node, read from deploy/ and the Dockerfile, so that the fleet bench
 * runs its pipeline process exactly so: the options the Deployment's backend container sets in
 * NODE_OPTIONS (its heap sized to the pod's memory limit), the flags of the image's CMD and the
 * allocator's settings in the image's environment.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';

export interface DeployedNode {
  /** NODE_OPTIONS of the backend container in deploy/deployment.yaml ('' when it sets none). */
  nodeOptions: string;
  /** The backend container's memory limit, in bytes. */
  memoryLimit: number;
  /** node's flags in the Dockerfile's CMD (before the script). */
  flags: string[];
  /** The Dockerfile's ENV for glibc's malloc (GLIBC_TUNABLES, MALLOC_*): what the process's native memory depends on. */
  allocator: Record<string, string>;
}

/** Variables of the Dockerfile's ENV instructions (the `key=value ...` form; values without spaces or quotes). */
export function dockerfileEnv(dockerfile: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, pairs] of dockerfile.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const pair of pairs.trim().split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq <= 0 || /["'\\]/.test(pair)) {
        throw new Error(`Dockerfile: ENV ${JSON.stringify(pair)} is not key=value without quotes`);
      }
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  }
  return env;
}

const deploymentSchema = z.object({
  kind: z.literal('Deployment'),
  spec: z.object({
    template: z.object({
      spec: z.object({
        containers: z.array(
          z.object({
            name: z.string(),
            env: z.array(z.object({ name: z.string(), value: z.string().optional() })).default([]),
            resources: z.object({ limits: z.object({ memory: z.string() }) }),
          })
        ),
      }),
    }),
  }),
});

const QUANTITY = /^(\d+)(Ki|Mi|Gi)?$/;
const UNITS: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

/** A Kubernetes memory quantity in bytes (the binary suffixes deploy/ uses; anything else is refused). */
export function memoryBytes(quantity: string): number {
  const m = QUANTITY.exec(quantity);
  if (!m) {
    throw new Error(`memory quantity ${JSON.stringify(quantity)}: expected digits and Ki, Mi or Gi`);
  }
  return Number(m[1]) * (m[2] ? UNITS[m[2]] : 1);
}

export function deployedNode(root: string): DeployedNode {
  const deployments = parseAllDocuments(readFileSync(join(root, 'deploy', 'deployment.yaml'), 'utf8'))
    .map((d) => deploymentSchema.safeParse(d.toJSON()))
    .flatMap((parsed) => (parsed.success ? [parsed.data] : []));
  const backend = deployments.flatMap((d) => d.spec.template.spec.containers).find((c) => c.name === 'backend');
  if (!backend) {
    throw new Error('deploy/deployment.yaml: no Deployment with a container named backend');
  }
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile);
  const argv = z.array(z.string()).parse(JSON.parse(cmd?.[1] ?? '[]'));
  if (argv[0] !== 'node') {
    throw new Error(`Dockerfile: CMD ${JSON.stringify(argv)} does not run node`);
  }
  return {
    nodeOptions: backend.env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '',
    memoryLimit: memoryBytes(backend.resources.limits.memory),
    flags: argv.slice(1).filter((a) => a.startsWith('--')),
    allocator: Object.fromEntries(
      Object.entries(dockerfileEnv(dockerfile)).filter(([key]) => key === 'GLIBC_TUNABLES' || key.startsWith('MALLOC_'))
    ),
  };
}
