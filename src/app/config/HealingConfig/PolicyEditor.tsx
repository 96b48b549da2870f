import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Badge, Field, Input, MultiCombobox, RadioButtonGroup, Stack, Switch, Text, useStyles2 } from '@grafana/ui';
import { failureModelSchema, severitySchema, type PolicyInput } from '../../../contract/healing';
import { testIds } from '../../testIds';
import { EditorCard, fieldGrid } from '../shared/EditorCard';
import { fieldProblem, namespaceProblem, watchNameProblem, type FieldErrors } from '../../utils/validation';
import { AutoWindowsEditor } from './AutoWindowsEditor';
import { LabelPairsField } from './LabelPairsField';
import { LadderSteps } from './LadderSteps';
import { NumberField } from '../shared/NumberField';
import { TagsField } from '../shared/TagsField';
import { ActionFields, GateField } from './PolicyActionFields';

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

const SOURCE_OPTIONS = [
  { value: 'any', label: 'Any' },
  { value: 'anomaly', label: 'Anomalies' },
  { value: 'alert', label: 'Alerts' },
];

const SEVERITY_OPTIONS = severitySchema.options.map((s) => ({ value: s, label: s }));
const FAILURE_MODEL_OPTIONS = failureModelSchema.options.map((m) => ({ value: m, label: m.replace('_', ' ') }));

/** One policy: what it matches, the action it names, the gate in front of it, its ladder and automatic hours. */
export function PolicyEditor({ uid, index, count, policy, errors, onChange, onMove, onDelete }: PolicyEditorProps) {
  const styles = useStyles2(getStyles);
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
  const error = (path: string) => errors[path] || undefined;

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
        <Field label="Name" {...fieldProblem(error('name'))} required>
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
        <Field label="Description" {...fieldProblem(error('description'))} className={styles.wide}>
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
        <Field label="Severities" description="Any when empty" {...fieldProblem(error('match.severities'))}>
          <MultiCombobox
            id={id('severities')}
            options={SEVERITY_OPTIONS}
            value={match.severities ?? []}
            onChange={(chosen) => setMatch({ severities: chosen.map((o) => o.value) })}
          />
        </Field>
        <Field label="Failure models" description="Any when empty">
          <MultiCombobox
            id={id('failure-models')}
            options={FAILURE_MODEL_OPTIONS}
            value={match.failureModels ?? []}
            onChange={(chosen) => setMatch({ failureModels: chosen.map((o) => o.value) })}
          />
        </Field>
        <TagsField
          label="Namespaces"
          description="Any when empty"
          id={id('namespaces')}
          error={error('match.namespaces')}
          tags={match.namespaces ?? []}
          set={(namespaces) => setMatch({ namespaces })}
          refuse={namespaceProblem}
        />
        <TagsField
          label="Watches"
          description="Any when empty"
          id={id('watches')}
          error={error('match.watches')}
          tags={match.watches ?? []}
          set={(watches) => setMatch({ watches })}
          refuse={watchNameProblem}
        />
        <LabelPairsField
          label="Label selectors"
          description="Any when empty; a target's or an alert's labels must equal all of these"
          id={id('labels')}
          error={error('match.labels')}
          labels={match.labels}
          set={(labels) => setMatch({ labels })}
          matched="target"
        />
        <LabelPairsField
          label="Alert labels"
          description="Alerts only; an alert's labels must equal all of these"
          id={id('alert-labels')}
          error={error('match.alertLabels')}
          labels={match.alertLabels}
          set={(alertLabels) => setMatch({ alertLabels })}
          matched="alert"
        />
      </div>

      <Text element="h5">Action</Text>
      <div className={styles.grid}>
        <ActionFields id={id} action={policy.action} path="action" error={error} onChange={setAction} />
      </div>

      <Text element="h5">Gate</Text>
      <div className={styles.grid}>
        <GateField id={id('gate')} gate={policy.gate} onChange={(gate) => onChange({ ...policy, gate })} />
        {waitsForApproval(policy) && (
          <NumberField
            label="Approval timeout (seconds)"
            description="Empty: the safety limits' default"
            id={id('approval-timeout')}
            error={error('approvalTimeoutSeconds')}
            value={policy.approvalTimeoutSeconds}
            set={(approvalTimeoutSeconds) => onChange({ ...policy, approvalTimeoutSeconds })}
          />
        )}
      </div>

      <LadderSteps id={id} index={index} policy={policy} error={error} onChange={onChange} />

      <AutoWindowsEditor
        id={id}
        index={index}
        autoWindows={policy.autoWindows}
        error={error}
        onChange={(autoWindows) => onChange({ ...policy, autoWindows })}
      />
    </EditorCard>
  );
}

/** Whether any of the policy's proposals can wait for an approval: its gate, a step's, or Automatic outside its hours. */
const waitsForApproval = (policy: PolicyInput) =>
  (policy.gate ?? 'approve') === 'approve' ||
  (policy.gate === 'auto' && policy.autoWindows !== undefined) ||
  (policy.steps ?? []).some((s) => (s.gate ?? 'approve') === 'approve');

const getStyles = (theme: GrafanaTheme2) => ({
  grid: fieldGrid(theme),
  wide: css({
    gridColumn: '1 / -1',
  }),
});
