import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Field, FieldSet, RadioButtonGroup, Stack, Text, useStyles2 } from '@grafana/ui';
import type { SafetyLimitsInput } from '../../../contract/healing';
import { testIds } from '../../testIds';
import { fieldProblem, namespaceProblem, type FieldErrors } from '../../utils/validation';
import { FormTagsInput } from '../shared/FormTagsInput';
import { NumberField } from '../shared/NumberField';
import { TagsField } from '../shared/TagsField';

interface Props {
  limits: SafetyLimitsInput;
  errors: FieldErrors;
  onChange: (limits: SafetyLimitsInput) => void;
}

type NumericKey =
  | 'cooldownSeconds'
  | 'maxActionsPerHour'
  | 'maxActionsPerHourPerNamespace'
  | 'maxNodesDisrupted'
  | 'replicaCeiling'
  | 'approvalTimeoutSeconds';

const NUMERIC: Array<{ key: NumericKey; label: string; description: string }> = [
  {
    key: 'cooldownSeconds',
    label: 'Cooldown (seconds)',
    description: 'The same action on the same target waits this long',
  },
  { key: 'maxActionsPerHour', label: 'Actions per hour', description: 'Across the cluster' },
  {
    key: 'maxActionsPerHourPerNamespace',
    label: 'Actions per hour per namespace',
    description: 'Node actions count toward the cluster-wide limit and the node budget only',
  },
  { key: 'replicaCeiling', label: 'Replica ceiling', description: 'No scale goes past it; nothing goes below 1' },
  {
    key: 'maxNodesDisrupted',
    label: 'Nodes at a time',
    description: 'Cordoned or draining at once; a further drain waits',
  },
  {
    key: 'approvalTimeoutSeconds',
    label: 'Approval timeout (seconds)',
    description: 'A proposal waiting longer expires',
  },
];

type NestedGroup = 'workloadDisruption' | 'nodeDisruption' | 'notifications' | 'storm' | 'circuitBreaker';
type NestedField = {
  [G in NestedGroup]: { key: keyof NonNullable<SafetyLimitsInput[G]> & string; label: string; description: string };
};

/** The limits kept as small objects, in groups; their error paths are "<group>.<key>". */
const NESTED: { [G in NestedGroup]: { title: string; fields: Array<NestedField[G]> } } = {
  workloadDisruption: {
    title: 'Workload disruption',
    fields: [
      {
        key: 'maxUnavailablePercent',
        label: 'Pods down at once (%)',
        description: 'Of the desired replicas, deleted, restarting or not Ready; empty: not limited',
      },
      {
        key: 'minHealthyPercent',
        label: 'Healthy floor (%)',
        description: 'A delete or restart never leaves fewer Ready pods; empty: not limited',
      },
    ],
  },
  nodeDisruption: {
    title: 'Node disruption',
    fields: [
      {
        key: 'maxPercent',
        label: 'Nodes at a time (%)',
        description: 'Cordoned or draining; replaces "Nodes at a time" when set',
      },
      {
        key: 'minReadyPercent',
        label: 'Ready floor (%)',
        description: 'Never fewer Ready, schedulable nodes than this share; default 51',
      },
    ],
  },
  notifications: {
    title: 'Notifications',
    fields: [
      {
        key: 'repeatIntervalSeconds',
        label: 'Repeat interval (seconds)',
        description:
          'After a notification about a target, the next about it waits this long; default 14400, at most 86400',
      },
      {
        key: 'maxPerHour',
        label: 'Notifications per hour',
        description: 'Across the cluster; more are held back, blocked with the reason; default 20',
      },
    ],
  },
  storm: {
    title: 'Storm mode',
    fields: [
      {
        key: 'maxAlarmingTargets',
        label: 'Storm threshold (targets)',
        description: 'More targets alarming at once pause automatic actions; default 50',
      },
    ],
  },
  circuitBreaker: {
    title: 'Circuit breaker',
    fields: [
      {
        key: 'maxRepeats',
        label: 'Repeats',
        description: 'The same fix on the same target this many times opens it; default 3',
      },
      { key: 'windowSeconds', label: 'Window (seconds)', description: 'Repeats counted within it; default 86400' },
    ],
  },
};
const NESTED_GROUPS = Object.keys(NESTED) as NestedGroup[];

/** The allow-list entry meaning every namespace; said as a choice, since "*" alone renders as a tiny tag. */
const ALL = '*';
const ALLOW_SCOPE = [
  { value: 'all' as const, label: 'All namespaces' },
  { value: 'listed' as const, label: 'Only these' },
];
const allowedNamespaceProblem = (word: string) =>
  word === ALL ? 'Choose "All namespaces" to allow every namespace' : namespaceProblem(word);

/** The limits that hold whatever a policy says. */
export function SafetyLimitsEditor({ limits, errors, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const namespaces = limits.namespaces ?? { allow: [ALL], deny: ['kube-system'] };
  const allow = namespaces.allow ?? [];
  const allowAll = allow.includes(ALL);
  // Beside "*" a name adds nothing, and only a row stored by other means holds one: shown so it can go.
  const listed = allow.filter((word) => word !== ALL);
  const setListed = (tags: string[]) =>
    onChange({ ...limits, namespaces: { ...namespaces, allow: allowAll ? [ALL, ...tags] : tags } });
  return (
    <FieldSet label="Safety limits" data-testid={testIds.healingConfig.limits}>
      <div className={styles.grid}>
        {NUMERIC.map(({ key, label, description }) => (
          <NumberField
            key={key}
            label={label}
            description={description}
            id={`fp-limit-${key}`}
            error={errors[key]}
            value={limits[key]}
            set={(value) => onChange({ ...limits, [key]: value })}
          />
        ))}
        <Field
          label="Namespaces the engine may act in"
          description={
            allowAll
              ? `Every namespace not on the deny-list${listed.length > 0 ? ': the names listed add nothing' : ''}`
              : 'Only these (the deny-list still wins)'
          }
          {...fieldProblem(errors['namespaces.allow'])}
        >
          {/* A fragment: Field hands its invalid flag to its child, which a Stack would write on a div. */}
          <>
            <Stack direction="column" gap={1}>
              <RadioButtonGroup
                aria-label="Namespaces the engine may act in"
                options={ALLOW_SCOPE}
                value={allowAll ? 'all' : 'listed'}
                onChange={(scope) =>
                  onChange({ ...limits, namespaces: { ...namespaces, allow: scope === 'all' ? [ALL] : [] } })
                }
              />
              {(!allowAll || listed.length > 0) && (
                <FormTagsInput
                  id="fp-limit-namespaces-allow"
                  tags={listed}
                  placeholder="Namespace (enter to add)"
                  refuse={allowedNamespaceProblem}
                  onChange={setListed}
                />
              )}
            </Stack>
          </>
        </Field>
        <TagsField
          label="Namespace deny-list"
          description="Wins over the allow-list"
          id="fp-limit-namespaces-deny"
          error={errors['namespaces.deny']}
          tags={namespaces.deny ?? []}
          set={(deny) => onChange({ ...limits, namespaces: { ...namespaces, deny } })}
          refuse={namespaceProblem}
        />
      </div>
      {NESTED_GROUPS.map((group) => {
        const values: Record<string, number | undefined> = { ...limits[group] };
        return (
          <React.Fragment key={group}>
            <Text element="h5">{NESTED[group].title}</Text>
            <div className={styles.grid}>
              {NESTED[group].fields.map(({ key, label, description }) => {
                return (
                  <NumberField
                    key={key}
                    label={label}
                    description={description}
                    id={`fp-limit-${group}-${key}`}
                    error={errors[`${group}.${key}`]}
                    value={values[key]}
                    set={(value) => onChange({ ...limits, [group]: { ...values, [key]: value } })}
                  />
                );
              })}
            </div>
          </React.Fragment>
        );
      })}
    </FieldSet>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  grid: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(280px, 1fr))',
    columnGap: theme.spacing(2),
  }),
});
