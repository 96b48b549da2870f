import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2, SelectableValue } from '@grafana/data';
import {
  Badge,
  Field,
  Input,
  MultiSelect,
  RadioButtonGroup,
  Select,
  Stack,
  Switch,
  TagsInput,
  Text,
  TextArea,
  useStyles2,
} from '@grafana/ui';
import {
  failureModelSchema,
  gateSchema,
  severitySchema,
  type PolicyAction,
  type PolicyInput,
} from '../../../contract/healing';
import { testIds } from '../../testIds';
import { EditorCard, fieldGrid } from '../shared/EditorCard';
import { labelsToTags, numberOrUndefined, tagsToLabels, type FieldErrors } from '../../utils/validation';

export interface PolicyEditorProps {
  /** Stable per policy, for element ids. */
  uid: string;
  index: number;
  count: number;
  policy: PolicyInput;
  errors: FieldErrors;
  onChange: (policy: PolicyInput) => void;
  onMove: (by: -1 | 1) => void;
  onDelete: () => void;
}

const ACTION_OPTIONS: Array<SelectableValue<PolicyAction['type']>> = [
  { value: 'scale', label: 'Scale out', description: 'Add replicas to the deployment or statefulset' },
  { value: 'restart', label: 'Rolling restart', description: 'As kubectl rollout restart does' },
  { value: 'delete-pod', label: 'Delete pod', description: 'Its controller replaces it' },
  { value: 'cordon', label: 'Cordon node' },
  { value: 'uncordon', label: 'Uncordon node' },
  { value: 'drain', label: 'Drain node', description: 'Cordon, then evict its pods honouring PodDisruptionBudgets' },
  { value: 'notify', label: 'Notify', description: 'A Grafana annotation and the webhook' },
];

const GATE_OPTIONS = gateSchema.options.map((g) => ({
  value: g,
  label: g === 'auto' ? 'Automatic' : g === 'approve' ? 'Approval' : 'Dry run only',
  description:
    g === 'auto'
      ? 'Runs at once, within the safety limits'
      : g === 'approve'
        ? 'Waits for an Editor in Grafana'
        : 'Never runs; the dry run is recorded',
}));

const SOURCE_OPTIONS = [
  { value: 'any', label: 'Any' },
  { value: 'anomaly', label: 'Anomalies' },
  { value: 'alert', label: 'Alerts' },
];

const SEVERITY_OPTIONS = severitySchema.options.map((s) => ({ value: s, label: s }));
const FAILURE_MODEL_OPTIONS = failureModelSchema.options.map((m) => ({ value: m, label: m.replace('_', ' ') }));

/** One policy: what it matches, the action it names and the gate in front of it. */
export function PolicyEditor({ uid, index, count, policy, errors, onChange, onMove, onDelete }: PolicyEditorProps) {
  const styles = useStyles2(getStyles);
  const [tagErrors, setTagErrors] = useState<FieldErrors>({});
  const id = (field: string) => `fp-policy-${uid}-${field}`;
  const match = policy.match ?? {};
  const title = policy.name || `Policy ${index + 1}`;

  const setMatch = (patch: Partial<NonNullable<PolicyInput['match']>>) => {
    const next = { ...match, ...patch };
    // Empty lists mean "no condition": drop them so the saved policy says what it means.
    for (const key of Object.keys(next) as Array<keyof typeof next>) {
      const value = next[key];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) {
        delete next[key];
      }
    }
    onChange({ ...policy, match: next });
  };
  const setAction = (action: PolicyInput['action']) => onChange({ ...policy, action });
  const onTags = (field: 'labels' | 'alertLabels', tags: string[]) => {
    const { labels, error } = tagsToLabels(tags);
    setTagErrors({ ...tagErrors, [field]: error ?? '' });
    if (!error) {
      setMatch({ [field]: labels });
    }
  };
  const error = (path: string) => errors[path] || tagErrors[path.replace('match.', '')] || undefined;

  return (
    <EditorCard
      kind="Policy"
      title={title}
      heading={
        <Stack alignItems="center" gap={1}>
          <Text element="h4">
            {index + 1}. {title}
          </Text>
          {policy.enabled === false && <Badge color="orange" text="Disabled" />}
        </Stack>
      }
      testId={testIds.healingConfig.policy(index)}
      index={index}
      move={{ count, onMove }}
      onDelete={onDelete}
    >
      <div className={styles.grid}>
        <Field label="Name" invalid={Boolean(error('name'))} error={error('name')} required>
          <Input
            id={id('name')}
            value={policy.name}
            onChange={(e) => onChange({ ...policy, name: e.currentTarget.value })}
          />
        </Field>
        <Field label="Enabled">
          <Switch
            id={id('enabled')}
            value={policy.enabled !== false}
            onChange={(e) => onChange({ ...policy, enabled: e.currentTarget.checked })}
          />
        </Field>
        <Field
          label="Description"
          invalid={Boolean(error('description'))}
          error={error('description')}
          className={styles.wide}
        >
          <Input
            id={id('description')}
            value={policy.description ?? ''}
            onChange={(e) => onChange({ ...policy, description: e.currentTarget.value || undefined })}
          />
        </Field>
      </div>

      <Text element="h5">Match</Text>
      <div className={styles.grid}>
        <Field label="Source">
          <RadioButtonGroup
            id={id('source')}
            options={SOURCE_OPTIONS}
            value={match.source ?? 'any'}
            onChange={(v) => setMatch({ source: v === 'any' ? undefined : (v as 'anomaly' | 'alert') })}
          />
        </Field>
        <Field
          label="Severities"
          description="Any when empty"
          invalid={Boolean(error('match.severities'))}
          error={error('match.severities')}
        >
          <MultiSelect
            inputId={id('severities')}
            options={SEVERITY_OPTIONS}
            value={match.severities ?? []}
            onChange={(v) => setMatch({ severities: v.map((o) => o.value!) })}
          />
        </Field>
        <Field label="Failure models" description="Any when empty">
          <MultiSelect
            inputId={id('failure-models')}
            options={FAILURE_MODEL_OPTIONS}
            value={match.failureModels ?? []}
            onChange={(v) => setMatch({ failureModels: v.map((o) => o.value!) })}
          />
        </Field>
        <Field
          label="Namespaces"
          description="Any when empty"
          invalid={Boolean(error('match.namespaces'))}
          error={error('match.namespaces')}
        >
          <TagsInput
            id={id('namespaces')}
            tags={match.namespaces ?? []}
            onChange={(tags) => setMatch({ namespaces: tags })}
            addOnBlur
          />
        </Field>
        <Field label="Watches" description="Any when empty">
          <TagsInput
            id={id('watches')}
            tags={match.watches ?? []}
            onChange={(tags) => setMatch({ watches: tags })}
            addOnBlur
          />
        </Field>
        <Field
          label="Label selectors"
          description="key=value, all must hold"
          invalid={Boolean(error('match.labels'))}
          error={error('match.labels')}
        >
          <TagsInput
            id={id('labels')}
            tags={labelsToTags(match.labels)}
            onChange={(tags) => onTags('labels', tags)}
            placeholder="app=cart"
            addOnBlur
          />
        </Field>
        <Field
          label="Alert labels"
          description="Alerts only; key=value"
          invalid={Boolean(error('match.alertLabels'))}
          error={error('match.alertLabels')}
        >
          <TagsInput
            id={id('alert-labels')}
            tags={labelsToTags(match.alertLabels)}
            onChange={(tags) => onTags('alertLabels', tags)}
            placeholder="alertname=KubePodCrashLooping"
            addOnBlur
          />
        </Field>
      </div>

      <Text element="h5">Action</Text>
      <div className={styles.grid}>
        <Field label="Action" invalid={Boolean(error('action.type'))} error={error('action.type')}>
          <Select
            inputId={id('action')}
            options={ACTION_OPTIONS}
            value={policy.action.type}
            onChange={(v) => setAction({ type: v.value! } as PolicyInput['action'])}
          />
        </Field>
        <ActionParameters id={id} action={policy.action} error={error} onChange={setAction} />
      </div>

      <Text element="h5">Gate</Text>
      <div className={styles.grid}>
        <Field label="Gate" description={GATE_OPTIONS.find((g) => g.value === (policy.gate ?? 'approve'))?.description}>
          <RadioButtonGroup
            id={id('gate')}
            options={GATE_OPTIONS}
            value={policy.gate ?? 'approve'}
            onChange={(gate) => onChange({ ...policy, gate })}
          />
        </Field>
        {(policy.gate ?? 'approve') === 'approve' && (
          <Field
            label="Approval timeout (seconds)"
            description="Empty: the safety limits' default"
            invalid={Boolean(error('approvalTimeoutSeconds'))}
            error={error('approvalTimeoutSeconds')}
          >
            <Input
              id={id('approval-timeout')}
              type="number"
              width={20}
              value={policy.approvalTimeoutSeconds ?? ''}
              onChange={(e) =>
                onChange({ ...policy, approvalTimeoutSeconds: numberOrUndefined(e.currentTarget.value) })
              }
            />
          </Field>
        )}
      </div>
    </EditorCard>
  );
}

interface ActionParametersProps {
  id: (field: string) => string;
  action: PolicyInput['action'];
  error: (path: string) => string | undefined;
  onChange: (action: PolicyInput['action']) => void;
}

function NumberField(
  props: { label: string; description?: string; id: string; path: string; value?: number } & Omit<
    ActionParametersProps,
    'id' | 'action'
  > & { set: (v?: number) => void }
) {
  const message = props.error(props.path);
  return (
    <Field label={props.label} description={props.description} invalid={Boolean(message)} error={message}>
      <Input
        id={props.id}
        type="number"
        width={20}
        value={props.value ?? ''}
        onChange={(e) => props.set(numberOrUndefined(e.currentTarget.value))}
      />
    </Field>
  );
}

function ActionParameters({ id, action, error, onChange }: ActionParametersProps) {
  const common = { error, onChange };
  switch (action.type) {
    case 'scale':
      return (
        <>
          <NumberField
            {...common}
            label="Add replicas"
            description="Default 1"
            id={id('delta')}
            path="action.delta"
            value={action.delta}
            set={(delta) => onChange({ ...action, delta })}
          />
          <NumberField
            {...common}
            label="Or set replicas to"
            id={id('replicas')}
            path="action.replicas"
            value={action.replicas}
            set={(replicas) => onChange({ ...action, replicas })}
          />
          <NumberField
            {...common}
            label="Replica ceiling"
            description="Never above the safety limit's ceiling either"
            id={id('ceiling')}
            path="action.ceiling"
            value={action.ceiling}
            set={(ceiling) => onChange({ ...action, ceiling })}
          />
        </>
      );
    case 'delete-pod':
      return (
        <NumberField
          {...common}
          label="Grace period (seconds)"
          id={id('grace')}
          path="action.gracePeriodSeconds"
          value={action.gracePeriodSeconds}
          set={(gracePeriodSeconds) => onChange({ ...action, gracePeriodSeconds })}
        />
      );
    case 'drain':
      return (
        <>
          <NumberField
            {...common}
            label="Timeout (seconds)"
            description="Then the drain fails and names the pods left"
            id={id('drain-timeout')}
            path="action.timeoutSeconds"
            value={action.timeoutSeconds}
            set={(timeoutSeconds) => onChange({ ...action, timeoutSeconds })}
          />
          <NumberField
            {...common}
            label="Max grace period (seconds)"
            id={id('drain-grace')}
            path="action.maxGracePeriodSeconds"
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
        </>
      );
    case 'notify':
      return (
        <Field
          label="Message"
          description="{summary}, {severity} and {target} are filled in"
          invalid={Boolean(error('action.message'))}
          error={error('action.message')}
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

const getStyles = (theme: GrafanaTheme2) => ({
  grid: fieldGrid(theme),
  wide: css({
    gridColumn: '1 / -1',
  }),
});
