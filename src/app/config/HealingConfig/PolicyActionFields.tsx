import React from 'react';
import { Combobox, Field, RadioButtonGroup, Switch, TextArea, type ComboboxOption } from '@grafana/ui';
import { gateSchema, type Gate, type PolicyAction, type PolicyInput } from '../../../contract/healing';
import { fieldProblem } from '../../utils/validation';
import { NumberField } from '../shared/NumberField';

type ActionInput = PolicyInput['action'];

export const ACTION_OPTIONS: Array<ComboboxOption<PolicyAction['type']>> = [
  { value: 'scale', label: 'Scale out', description: 'Add replicas to the deployment or statefulset' },
  { value: 'restart', label: 'Rolling restart', description: 'As kubectl rollout restart does' },
  { value: 'delete-pod', label: 'Delete pod', description: 'Its controller replaces it' },
  { value: 'cordon', label: 'Cordon node' },
  { value: 'uncordon', label: 'Uncordon node' },
  { value: 'drain', label: 'Drain node', description: 'Cordon, then evict its pods honouring PodDisruptionBudgets' },
  { value: 'notify', label: 'Notify', description: 'A Grafana annotation and the webhook' },
];

export const actionLabel = (type: PolicyAction['type']) => ACTION_OPTIONS.find((o) => o.value === type)?.label ?? type;

export const GATE_OPTIONS = gateSchema.options.map((g) => ({
  value: g,
  label: g === 'auto' ? 'Automatic' : g === 'approve' ? 'Approval' : 'Dry run only',
  description:
    g === 'auto'
      ? 'Runs at once, within the safety limits'
      : g === 'approve'
        ? 'Waits for an Editor in Grafana'
        : 'Never runs; the dry run is recorded',
}));

export const gateDescription = (gate: Gate | undefined) =>
  GATE_OPTIONS.find((g) => g.value === (gate ?? 'approve'))?.description;

export interface ActionFieldsProps {
  /** Element id for a field of this action. */
  id: (field: string) => string;
  action: ActionInput;
  /** Where the action sits in the policy, for its errors: "action" or "steps.0.action". */
  path: string;
  error: (path: string) => string | undefined;
  onChange: (action: ActionInput) => void;
}

/** The action's type and its parameters: the policy's first action and each ladder step use the same fields. */
export function ActionFields({ id, action, path, error, onChange }: ActionFieldsProps) {
  return (
    <>
      <Field label="Action" {...fieldProblem(error(`${path}.type`))}>
        <Combobox
          id={id('action')}
          options={ACTION_OPTIONS}
          value={action.type}
          onChange={(o) => onChange({ type: o.value } as ActionInput)}
        />
      </Field>
      <ActionParameters id={id} action={action} path={path} error={error} onChange={onChange} />
    </>
  );
}

/** A gate choice with its meaning under it. */
export function GateField({ id, gate, onChange }: { id: string; gate?: Gate; onChange: (gate: Gate) => void }) {
  return (
    <Field label="Gate" description={gateDescription(gate)}>
      <RadioButtonGroup id={id} options={GATE_OPTIONS} value={gate ?? 'approve'} onChange={onChange} />
    </Field>
  );
}

function ActionParameters({ id, action, path, error, onChange }: ActionFieldsProps) {
  const at = (field: string) => error(`${path}.${field}`);
  switch (action.type) {
    case 'scale':
      return (
        <>
          <NumberField
            label="Add replicas"
            description="Default 1"
            id={id('delta')}
            error={at('delta')}
            value={action.delta}
            set={(delta) => onChange({ ...action, delta })}
          />
          <NumberField
            label="Or set replicas to"
            id={id('replicas')}
            error={at('replicas')}
            value={action.replicas}
            set={(replicas) => onChange({ ...action, replicas })}
          />
          <NumberField
            label="Replica ceiling"
            description="Never above the safety limit's ceiling either"
            id={id('ceiling')}
            error={at('ceiling')}
            value={action.ceiling}
            set={(ceiling) => onChange({ ...action, ceiling })}
          />
        </>
      );
    case 'delete-pod':
      return (
        <NumberField
          label="Grace period (seconds)"
          id={id('grace')}
          error={at('gracePeriodSeconds')}
          value={action.gracePeriodSeconds}
          set={(gracePeriodSeconds) => onChange({ ...action, gracePeriodSeconds })}
        />
      );
    case 'drain':
      return (
        <>
          <NumberField
            label="Timeout (seconds)"
            description="Then the drain fails and names the pods left"
            id={id('drain-timeout')}
            error={at('timeoutSeconds')}
            value={action.timeoutSeconds}
            set={(timeoutSeconds) => onChange({ ...action, timeoutSeconds })}
          />
          <NumberField
            label="Max grace period (seconds)"
            id={id('drain-grace')}
            error={at('maxGracePeriodSeconds')}
            value={action.maxGracePeriodSeconds}
            set={(maxGracePeriodSeconds) => onChange({ ...action, maxGracePeriodSeconds })}
          />
          <Field label="Evict unmanaged pods" description="Pods without a controller are lost">
            <Switch
              id={id('evict-unmanaged')}
              value={Boolean(action.evictUnmanaged)}
              onChange={(e) => onChange({ ...action, evictUnmanaged: e.currentTarget.checked })}
            />
          </Field>
          <Field
            label="Delete emptyDir data"
            description="Pods keeping data in emptyDir volumes are evicted: the data is lost"
          >
            <Switch
              id={id('delete-emptydir-data')}
              value={Boolean(action.deleteEmptyDirData)}
              onChange={(e) => onChange({ ...action, deleteEmptyDirData: e.currentTarget.checked })}
            />
          </Field>
        </>
      );
    case 'notify':
      return (
        <Field
          label="Message"
          description="{summary}, {severity} and {target} are filled in"
          {...fieldProblem(at('message'))}
        >
          <TextArea
            id={id('message')}
            rows={2}
            value={action.message ?? ''}
            onChange={(e) => onChange({ ...action, message: e.currentTarget.value || undefined })}
          />
        </Field>
      );
    default:
      return null;
  }
}
