import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Field, FieldSet, Input, RadioButtonGroup, Stack, TagsInput, useStyles2 } from '@grafana/ui';
import type { SafetyLimitsInput } from '../../../contract/healing';
import { testIds } from '../../testIds';
import { numberOrUndefined, type FieldErrors } from '../../utils/validation';

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
    description: 'Node actions count as "(cluster)"',
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

/** The allow-list entry meaning every namespace; said as a choice, since "*" alone renders as a tiny tag. */
const ALL = '*';
const ALLOW_SCOPE = [
  { value: 'all' as const, label: 'All namespaces' },
  { value: 'listed' as const, label: 'Only these' },
];

/** The limits that hold whatever a policy says. */
export function SafetyLimitsEditor({ limits, errors, onChange }: Props) {
  const styles = useStyles2(getStyles);
  const namespaces = limits.namespaces ?? { allow: [ALL], deny: ['kube-system'] };
  const allow = namespaces.allow ?? [];
  const allowAll = allow.includes(ALL);
  return (
    <FieldSet label="Safety limits" data-testid={testIds.healingConfig.limits}>
      <div className={styles.grid}>
        {NUMERIC.map(({ key, label, description }) => (
          <Field key={key} label={label} description={description} invalid={Boolean(errors[key])} error={errors[key]}>
            <Input
              id={`fp-limit-${key}`}
              type="number"
              width={20}
              value={limits[key] ?? ''}
              onChange={(e) => onChange({ ...limits, [key]: numberOrUndefined(e.currentTarget.value) })}
            />
          </Field>
        ))}
        <Field
          label="Namespaces the engine may act in"
          description={allowAll ? 'Every namespace not on the deny-list' : 'Only these (the deny-list still wins)'}
          invalid={Boolean(errors['namespaces.allow'])}
          error={errors['namespaces.allow']}
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
              {!allowAll && (
                <TagsInput
                  id="fp-limit-namespaces-allow"
                  tags={allow}
                  placeholder="Namespace (enter to add)"
                  onChange={(tags) => onChange({ ...limits, namespaces: { ...namespaces, allow: tags } })}
                  addOnBlur
                />
              )}
            </Stack>
          </>
        </Field>
        <Field
          label="Namespace deny-list"
          description="Wins over the allow-list"
          invalid={Boolean(errors['namespaces.deny'])}
          error={errors['namespaces.deny']}
        >
          <TagsInput
            id="fp-limit-namespaces-deny"
            tags={namespaces.deny ?? []}
            onChange={(deny) => onChange({ ...limits, namespaces: { ...namespaces, deny } })}
            addOnBlur
          />
        </Field>
      </div>
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
