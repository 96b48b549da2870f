import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, IconButton, Stack, Text, useStyles2 } from '@grafana/ui';
import { actionTypeSchema, type PolicyInput } from '../../../contract/healing';
import { testIds } from '../../testIds';
import { fieldGrid, nestedItem } from '../shared/EditorCard';
import { moved } from '../shared/useDraftList';
import { NumberField } from '../shared/NumberField';
import { ActionFields, GateField, actionLabel } from './PolicyActionFields';

type StepInput = NonNullable<PolicyInput['steps']>[number];

/** The contract's limit on a ladder's length (policySchema.steps). */
const MAX_STEPS = 10;

export interface LadderStepsProps {
  /** Element id for a field of this policy. */
  id: (field: string) => string;
  index: number;
  policy: PolicyInput;
  error: (path: string) => string | undefined;
  onChange: (policy: PolicyInput) => void;
}

/**
 * The escalation ladder after the policy's first action: steps in order, each with its action,
 * gate and verification window. The first action counts as step 1, so these are numbered from 2.
 */
export function LadderSteps({ id, index, policy, error, onChange }: LadderStepsProps) {
  const styles = useStyles2(getStyles);
  const steps = policy.steps ?? [];
  // Each step takes another action type than the first action and every other step.
  const used = new Set([policy.action.type, ...steps.map((s) => s.action.type)]);
  const nextType = actionTypeSchema.options.find((t) => !used.has(t));

  const setSteps = (next: StepInput[]) =>
    // No steps: no ladder, and the first action's verification window means nothing then.
    onChange(next.length > 0 ? { ...policy, steps: next } : { ...policy, steps: undefined, verifySeconds: undefined });
  const setStep = (at: number, step: StepInput) => setSteps(steps.map((s, i) => (i === at ? step : s)));
  const ladderError = error('steps');

  return (
    <>
      <Text element="h5">Escalation ladder</Text>
      <Text color="secondary" element="p">
        When the action above has not recovered the target within its verification window, the next step is proposed.
        The ladder stops at the first recovery, at its end, or when a step is rejected.
      </Text>
      {steps.length > 0 && (
        <div className={styles.grid}>
          <NumberField
            label="Verification window of step 1 (seconds)"
            description="Empty: the safety limits' window"
            id={id('verify')}
            error={error('verifySeconds')}
            value={policy.verifySeconds}
            set={(verifySeconds) => onChange({ ...policy, verifySeconds })}
          />
        </div>
      )}
      {ladderError && <Alert severity="error" title={ladderError} />}
      {steps.map((step, i) => {
        const n = i + 2;
        const stepId = (field: string) => id(`step-${i}-${field}`);
        return (
          <section
            key={i}
            className={styles.step}
            aria-label={`Step ${n}`}
            data-testid={testIds.healingConfig.step(index, i)}
          >
            <div className={styles.header}>
              <Text element="h6">
                Step {n}: {actionLabel(step.action.type)}
              </Text>
              <Stack gap={0.5}>
                <IconButton
                  name="arrow-up"
                  tooltip={`Move step ${n} up`}
                  disabled={i === 0}
                  onClick={() => setSteps(moved(steps, i, -1))}
                />
                <IconButton
                  name="arrow-down"
                  tooltip={`Move step ${n} down`}
                  disabled={i === steps.length - 1}
                  onClick={() => setSteps(moved(steps, i, 1))}
                />
                <IconButton
                  name="trash-alt"
                  tooltip={`Remove step ${n}`}
                  variant="destructive"
                  onClick={() => setSteps(steps.filter((_, j) => j !== i))}
                />
              </Stack>
            </div>
            <div className={styles.grid}>
              <ActionFields
                id={stepId}
                action={step.action}
                path={`steps.${i}.action`}
                error={error}
                onChange={(action) => setStep(i, { ...step, action })}
              />
              <GateField id={stepId('gate')} gate={step.gate} onChange={(gate) => setStep(i, { ...step, gate })} />
              <NumberField
                label="Verification window (seconds)"
                description="Empty: the safety limits' window"
                id={stepId('verify')}
                error={error(`steps.${i}.verifySeconds`)}
                value={step.verifySeconds}
                set={(verifySeconds) => setStep(i, { ...step, verifySeconds })}
              />
            </div>
          </section>
        );
      })}
      <Button
        variant="secondary"
        size="sm"
        icon="plus"
        disabled={!nextType || steps.length >= MAX_STEPS}
        tooltip={nextType ? undefined : 'Every action type is in the ladder already'}
        onClick={() => nextType && setSteps([...steps, { action: { type: nextType }, gate: 'approve' }])}
      >
        Add step
      </Button>
    </>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  grid: fieldGrid(theme),
  step: nestedItem(theme, 2),
  header: css({
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    marginBottom: theme.spacing(1),
  }),
});
