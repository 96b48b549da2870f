// deploy/admission/ on a cordon and an uncordon as the engine sends them: the cordon names the action
// on the node (failureprophet.io/cordoned-by) in the PATCH that sets spec.unschedulable, the uncordon
// deletes that name. The policy lets that one annotation change beside unschedulable, and nothing
// else in the node's metadata. Each write is judged on the node as the Kubernetes test double stored
// it before and after the PATCH.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { cordon, uncordon } from '../../src/server/kubernetes/nodes';
import { startHarness, type Harness } from '../kube/harness';
import { node } from '../kube/objects';
import { admissionPolicySchema, admit, type AdmissionRequest, type Json } from './admission';

const CORDONED_BY = 'failureprophet.io/cordoned-by';
const documentsOf = (path: string) =>
  parseAllDocuments(readFileSync(join(__dirname, '../..', path), 'utf8')).map((d) => d.toJS());
const policy = admissionPolicySchema.parse(
  documentsOf('deploy/admission/policy.yaml').find((d) => d.kind === 'ValidatingAdmissionPolicy')
);
const account = documentsOf('deploy/serviceaccount.yaml').find((d) => d.kind === 'ServiceAccount').metadata;
const json = (value: unknown): Json => JSON.parse(JSON.stringify(value));

/** An update of node `name` from `before` to `after`, as the backend's ServiceAccount sends it. */
const nodeUpdate = (name: string, before: unknown, after: unknown): AdmissionRequest => ({
  operation: 'UPDATE',
  group: '',
  resource: 'nodes',
  name,
  username: `system:serviceaccount:${account.namespace}:${account.name}`,
  object: json(after),
  oldObject: json(before),
});

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(() => h.kube.close());

/** The node's stored state around a write: the update admission judges. */
async function judgedWrite(name: string, write: () => Promise<{ ok: boolean }>) {
  const before = h.kube.get('Node', name);
  expect((await write()).ok).toBe(true);
  return admit(policy, nodeUpdate(name, before, h.kube.get('Node', name)));
}

it('allows the cordon that names its action and the uncordon that deletes the name, and no other annotation change', async () => {
  const n1 = node('n1');
  n1.metadata.annotations = { 'example.com/team': 'payments' };
  h.kube.add(n1);

  expect(await judgedWrite('n1', () => cordon(h.client, { node: 'n1', owner: '17' }))).toEqual({
    decision: 'allowed',
  });
  expect(h.kube.get('Node', 'n1')!.metadata.annotations).toEqual({
    'example.com/team': 'payments',
    [CORDONED_BY]: '17',
  });
  expect(await judgedWrite('n1', () => uncordon(h.client, { node: 'n1' }))).toEqual({ decision: 'allowed' });
  expect(h.kube.get('Node', 'n1')!.metadata.annotations).toEqual({ 'example.com/team': 'payments' });

  const schedulable = json(h.kube.get('Node', 'n1')) as { metadata: { annotations: Record<string, string> } };
  const cordoned = (annotations: Record<string, string>) => ({
    ...schedulable,
    metadata: { ...schedulable.metadata, annotations },
    spec: { unschedulable: true },
  });
  const refused: Array<Record<string, string>> = [
    { 'example.com/team': 'payments', [CORDONED_BY]: '17', 'example.com/extra': 'x' },
    { [CORDONED_BY]: '17' },
    { 'example.com/team': 'platform', [CORDONED_BY]: '17' },
  ];
  for (const annotations of refused) {
    expect(admit(policy, nodeUpdate('n1', schedulable, cordoned(annotations)))).toEqual({
      decision: 'denied',
      error: false,
      message: expect.stringContaining('refused: UPDATE nodes n1'),
    });
  }
});
