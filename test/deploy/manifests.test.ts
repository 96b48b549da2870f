import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { deployedNode, dockerfileEnv } from '../../bench/fleetNode';
import { loadConfig } from '../../src/server/config/load';
import { configSchema } from '../../src/server/config/schema';

// Nothing here can run a cluster: these checks keep deploy/ applicable in one go on a fresh one.
const ROOT = join(__dirname, '..', '..');
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [key: string]: any;
}

const kustomization = parse(read('deploy/kustomization.yaml'));
const resources: string[] = kustomization.resources;
const objectsOf = (file: string): K8sObject[] =>
  parseAllDocuments(read(`deploy/${file}`))
    .map((d) => d.toJSON())
    .filter(Boolean);
const objects = resources.flatMap((file) => objectsOf(file).map((o) => Object.assign(o, { file })));
const one = (kind: string, name?: string) => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect({ kind, name, count: found.length }).toEqual({ kind, name, count: 1 });
  return found[0];
};
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

describe('deploy/ on a fresh cluster', () => {
  it('lists every manifest in deploy/ in the kustomization, namespace first, in the order they depend on each other', () => {
    const manifests = readdirSync(DEPLOY).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml');
    expect([...resources].sort()).toEqual(manifests.sort());
    // networkpolicy.yaml is added by another change; where present it comes after rbac.yaml.
    const order = [
      'namespace.yaml',
      'serviceaccount.yaml',
      'rbac.yaml',
      'networkpolicy.yaml',
      'config.yaml',
      'deployment.yaml',
      'service.yaml',
    ].filter((f) => existsSync(join(DEPLOY, f)));
    expect(resources).toEqual(order);
    expect(objects[0].kind).toBe('Namespace');
    expect(objects.filter((o) => o.kind === 'Namespace')).toHaveLength(1);
  });

  it('puts every namespaced object in the namespace the kustomization creates first', () => {
    const namespace = one('Namespace').metadata.name;
    for (const o of objects.filter((x) => !CLUSTER_SCOPED.has(x.kind))) {
      expect({ file: o.file, kind: o.kind, namespace: o.metadata.namespace }).toEqual({
        file: o.file,
        kind: o.kind,
        namespace,
      });
    }
    for (const binding of objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding')) {
      for (const subject of binding.subjects) {
        expect(subject.namespace).toBe(namespace);
      }
    }
  });

  it('binds the ServiceAccount the Deployment runs as, to roles that exist', () => {
    const deployment = one('Deployment');
    const account = deployment.spec.template.spec.serviceAccountName;
    one('ServiceAccount', account);
    const bindings = objects.filter((o) => o.kind === 'ClusterRoleBinding' || o.kind === 'RoleBinding');
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: account })]);
      one(binding.roleRef.kind, binding.roleRef.name);
    }
  });

  it('mounts the ConfigMap it ships, holding a valid backend config with Prometheus set, at the path FP_CONFIG names', () => {
    const deployment = one('Deployment');
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const env = Object.fromEntries(container.env.map((e: { name: string; value?: string }) => [e.name, e]));
    const configVolume = pod.volumes.find((v: { configMap?: unknown }) => v.configMap);
    const configMap = one('ConfigMap', configVolume.configMap.name);
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === configVolume.name);
    const file = env.FP_CONFIG.value.slice(mount.mountPath.length + 1);
    expect(env.FP_CONFIG.value).toBe(`${mount.mountPath}/${file}`);
    const config = configSchema.parse(parse(configMap.data[file]));
    expect(config.prometheus.url).toMatch(/^https?:\/\//);
    // The API token comes from a Secret the README creates, never from the repository.
    expect(env.FP_API_TOKEN.valueFrom.secretKeyRef).toEqual({ name: 'failureprophet-api', key: 'token' });
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(read('README.md')).toContain(
      'kubectl -n failureprophet create secret generic failureprophet-api --from-literal=token='
    );
    // Every volume mounted is declared, and every PVC claimed exists.
    for (const m of container.volumeMounts) {
      const volume = pod.volumes.find((v: { name: string }) => v.name === m.name);
      expect(volume).toBeDefined();
      if (volume.persistentVolumeClaim) {
        one('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName);
      }
    }
  });

  it('selects the Deployment pods with the Service, on the port the container names', () => {
    const deployment = one('Deployment');
    const service = one('Service');
    const labels = deployment.spec.template.metadata.labels;
    expect(deployment.spec.selector.matchLabels).toEqual(
      expect.objectContaining(
        Object.fromEntries(Object.keys(deployment.spec.selector.matchLabels).map((k) => [k, labels[k]]))
      )
    );
    for (const [key, value] of Object.entries(service.spec.selector)) {
      expect(labels[key]).toBe(value);
    }
    const ports = deployment.spec.template.spec.containers[0].ports;
    for (const port of service.spec.ports) {
      expect(ports.map((p: { name: string }) => p.name)).toContain(port.targetPort);
    }
    // The backendUrl the README gives Grafana is this Service's name, namespace and port.
    expect(read('README.md')).toContain(
      `http://${service.metadata.name}.${service.metadata.namespace}.svc:${service.spec.ports[0].port}`
    );
  });

  it('names the image the release workflow publishes, at the version in package.json', () => {
    const image: string = one('Deployment').spec.template.spec.containers[0].image;
    const workflow = parse(read('.github/workflows/release.yml'));
    const version = JSON.parse(read('package.json')).version;
    expect(image).toBe(`${workflow.env.IMAGE}:${version}`);
    expect(workflow.on.push.tags).toEqual(['v*']);
    const build = workflow.jobs.image.steps.find((s: { uses?: string }) =>
      s.uses?.startsWith('docker/build-push-action')
    );
    expect(build.with).toEqual(expect.objectContaining({ context: '.', file: 'Dockerfile', push: true }));
    expect(build.with.tags).toContain('${{ env.IMAGE }}:${{ steps.version.outputs.version }}');
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
  });

  it('runs two replicas, rolling, and grants Leases only in its own namespace, only the verbs the electors and members call', () => {
    const deployment = one('Deployment');
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    const namespace = deployment.metadata.namespace;
    const role = one('Role', 'failureprophet-leader-election');
    expect(role.metadata.namespace).toBe(namespace);
    // LeaseElector: GET the Lease, POST one when absent, PUT to renew, take over or release. KubeMembership:
    // POST its own, LIST by label, GET and PUT to renew, DELETE on stop or long expired. No watch or patch.
    expect(role.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['create', 'get', 'list', 'update', 'delete'],
      },
    ]);
    const binding = one('RoleBinding', role.metadata.name);
    expect(binding.metadata.namespace).toBe(namespace);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
    // No ClusterRole grants leases: the Lease is the backend's own, not the cluster's.
    for (const clusterRole of objects.filter((o) => o.kind === 'ClusterRole')) {
      expect(clusterRole.rules.flatMap((r: { resources: string[] }) => r.resources)).not.toContain('leases');
    }
  });

  it('names each replica by its pod (POD_NAME from the downward API) and probes readiness and liveness apart', () => {
    const container = one('Deployment').spec.template.spec.containers[0];
    const podName = container.env.find((e: { name: string }) => e.name === 'POD_NAME');
    expect(podName.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    // The backend reads POD_NAME as its identity among the candidates.
    expect(loadConfig({ POD_NAME: 'failureprophet-7d9f-abcde' }).coordination.identity).toBe(
      'failureprophet-7d9f-abcde'
    );
    // A Prometheus outage, or a store refusing writes, leaves the replicas in their Service (the reads, the kill
    // switch and the audit log still answer).
    expect(container.readinessProbe.httpGet).toEqual({
      path: '/readyz?exclude=prometheus&exclude=storeWrites',
      port: 'http',
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  it('shares nothing but through PostgreSQL and Secrets when it runs more than one replica', () => {
    const deployment = one('Deployment');
    expect(deployment.spec.replicas).toBeGreaterThan(1);
    const pod = deployment.spec.template.spec;
    const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string }) => [e.name, e]));
    // The database URL from a Secret the pods cannot start without: each would otherwise keep its own SQLite.
    expect(env.FP_DATABASE_URL.valueFrom.secretKeyRef).toEqual({ name: 'failureprophet-database', key: 'url' });
    expect(env.FP_DATABASE_URL.value).toBeUndefined();
    // Tokens and the sealing key, generated per data dir when unset, are the same for every replica.
    for (const name of ['FP_API_TOKEN', 'FP_ALERT_TOKEN', 'FP_SECRET_KEY']) {
      expect({ name, optional: env[name].valueFrom.secretKeyRef.optional }).toEqual({ name, optional: undefined });
    }
    // No ReadWriteOnce claim that two pods on two nodes could not both mount.
    expect(pod.volumes.filter((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim)).toEqual([]);
    expect(objects.filter((o) => o.kind === 'PersistentVolumeClaim')).toEqual([]);
    expect(read('README.md')).toContain(
      'kubectl -n failureprophet create secret generic failureprophet-database --from-literal=url='
    );
  });

  it("sizes V8's old space to the memory limit, leaving room for typed arrays and native memory, as the fleet bench runs it", () => {
    const container = one('Deployment').spec.template.spec.containers[0];
    const limit = container.resources.limits.memory;
    const options = container.env.find((e: { name: string }) => e.name === 'NODE_OPTIONS').value;
    const m = /--max-old-space-size=(\d+)/.exec(options);
    expect(m).not.toBeNull();
    // Without it V8 sizes its heap from what it takes the machine's memory to be, not from this limit.
    const oldSpace = Number(m![1]) * 2 ** 20;
    expect(limit).toBe('1Gi');
    expect(oldSpace).toBeGreaterThanOrEqual(0.4 * 2 ** 30);
    expect(oldSpace).toBeLessThanOrEqual(0.5 * 2 ** 30);
    // A young generation of three 2 MiB semi-spaces, not V8's 3 x 16 MiB: the fleet's RSS was measured so.
    expect(options).toMatch(/(^| )--max-semi-space-size=2( |$)/);
    // What the fleet bench reads to run its pipeline process as the pod runs the backend.
    expect(deployedNode(ROOT)).toEqual({
      nodeOptions: options,
      memoryLimit: 2 ** 30,
      flags: ['--enable-source-maps'],
      allocator: { GLIBC_TUNABLES: dockerfileEnv(read('Dockerfile')).GLIBC_TUNABLES },
    });
  });

  it('builds and runs the image on one Node, whose major the Dockerfile says why it keeps', () => {
    const dockerfile = read('Dockerfile');
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(majors).toHaveLength(2);
    expect(new Set(majors).size).toBe(1);
    // Off .nvmrc's major only with the reason in the file (Node 20: the 1 GiB fleet, RESULTS.md).
    if (majors[0] !== Number(read('.nvmrc').trim())) {
      expect(dockerfile).toMatch(new RegExp(`# Node ${majors[0]} \\(end of life [0-9-]+\\), not \\.nvmrc's`));
    }
  });

  it("sets glibc malloc's tunables in the image, each one a tunable the image's glibc knows, at the value given", () => {
    const tunables = dockerfileEnv(read('Dockerfile')).GLIBC_TUNABLES;
    const wanted = tunables.split(':').map((t) => t.split('='));
    expect(wanted.map(([name]) => name)).toContain('glibc.malloc.mmap_threshold');
    // glibc ignores a name it does not know: its loader lists what it applied (Debian 12's glibc, as the image's).
    const loader = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'].find((path) => existsSync(path));
    if (loader === undefined) {
      throw new Error("no glibc loader found to list its tunables (this check needs Debian's glibc)");
    }
    const listed = execFileSync(loader, ['--list-tunables'], { env: { GLIBC_TUNABLES: tunables }, encoding: 'utf8' });
    for (const [name, value] of wanted) {
      const line = listed.split('\n').find((l) => l.startsWith(`${name}:`));
      expect({ name, applied: line && Number(line.split(/\s+/)[1]) }).toEqual({ name, applied: Number(value) });
    }
  });

  it('keeps one replica up through voluntary disruptions: a PodDisruptionBudget that selects exactly its pods', () => {
    const deployment = one('Deployment');
    const pdb = one('PodDisruptionBudget');
    expect(pdb.apiVersion).toBe('policy/v1');
    expect(pdb.metadata.namespace).toBe(deployment.metadata.namespace);
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    const labels = deployment.spec.template.metadata.labels;
    for (const [key, value] of Object.entries(pdb.spec.selector.matchLabels)) {
      expect({ key, value: labels[key] }).toEqual({ key, value });
    }
    expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
  });
});

// The Pod Security Standards' restricted profile (kubernetes.io/docs/concepts/security/pod-security-standards,
// enforced by the Pod Security admission controller from the namespace's labels): baseline's host
// namespaces, privileged, hostPath and hostPort, plus restricted's volume types, privilege
// escalation, non-root, seccomp and capabilities.
const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

function restrictedViolations(pod: any): string[] {
  const found: string[] = [];
  for (const host of ['hostNetwork', 'hostPID', 'hostIPC']) {
    if (pod[host]) {
      found.push(host);
    }
  }
  for (const volume of pod.volumes ?? []) {
    const types = Object.keys(volume).filter((k) => k !== 'name');
    if (!types.every((t) => RESTRICTED_VOLUMES.has(t))) {
      found.push(`volume ${volume.name}: ${types.join(',')}`);
    }
  }
  const podContext = pod.securityContext ?? {};
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const context = container.securityContext ?? {};
    const where = `container ${container.name}`;
    if (context.privileged) {
      found.push(`${where}: privileged`);
    }
    if ((container.ports ?? []).some((p: { hostPort?: number }) => p.hostPort)) {
      found.push(`${where}: hostPort`);
    }
    if (context.allowPrivilegeEscalation !== false) {
      found.push(`${where}: allowPrivilegeEscalation is not false`);
    }
    if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true) {
      found.push(`${where}: runAsNonRoot is not true`);
    }
    if ((context.runAsUser ?? podContext.runAsUser) === 0) {
      found.push(`${where}: runAsUser 0`);
    }
    const seccomp = (context.seccompProfile ?? podContext.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
      found.push(`${where}: seccompProfile ${seccomp}`);
    }
    if (!(context.capabilities?.drop ?? []).includes('ALL')) {
      found.push(`${where}: capabilities do not drop ALL`);
    }
    const added = (context.capabilities?.add ?? []).filter((c: string) => c !== 'NET_BIND_SERVICE');
    if (added.length > 0) {
      found.push(`${where}: adds ${added.join(',')}`);
    }
  }
  return found;
}

describe('deploy/ pod security', () => {
  // The namespace holds the ServiceAccount that may patch every workload and node and the Secrets
  // with the API token: a pod admitted there with hostPath or privileged (a debug pod, a later
  // edit of the Deployment) would be root on its node with those credentials at hand. Enforced, the
  // API server refuses such a pod instead of running it.
  it('enforces the restricted Pod Security Standard on its namespace', () => {
    const labels = one('Namespace').metadata.labels ?? {};
    expect(labels).toEqual(
      expect.objectContaining({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      })
    );
  });

  it('runs pods the restricted profile admits: non-root, no escalation, no capabilities, RuntimeDefault seccomp, core volumes', () => {
    const pod = one('Deployment').spec.template.spec;
    expect(restrictedViolations(pod)).toEqual([]);
    // Beyond the profile: nothing written outside the mounted scratch and data directories.
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it('would refuse a pod that breaks the profile (the check itself)', () => {
    const pod = structuredClone(one('Deployment').spec.template.spec);
    pod.hostNetwork = true;
    pod.volumes.push({ name: 'root', hostPath: { path: '/' } });
    pod.securityContext.runAsNonRoot = false;
    pod.containers[0].securityContext = { privileged: true, capabilities: { add: ['SYS_ADMIN'] } };
    expect(restrictedViolations(pod)).toEqual([
      'hostNetwork',
      'volume root: hostPath',
      'container backend: privileged',
      'container backend: allowPrivilegeEscalation is not false',
      'container backend: runAsNonRoot is not true',
      'container backend: capabilities do not drop ALL',
      'container backend: adds SYS_ADMIN',
    ]);
  });
});
