import React, { useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, ConfirmModal, Field, Input, Stack, Text, useStyles2 } from '@grafana/ui';
import { Unloaded } from '../../components/QueryStatus/QueryStatus';
import type { KillSwitch as KillSwitchState } from '../../../contract/healing';
import { getKillSwitch, putKillSwitch } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { adminOnlyReason, isAdmin } from '../../permissions';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';

/**
 * The global kill switch: prominent, and never changed without a confirmation. Only an org Admin
 * may change it (the proxy's api/admin/* routes); anyone else reads its state and why they cannot.
 */
export function KillSwitch() {
  const styles = useStyles2(getStyles);
  const admin = isAdmin();
  const query = useBackendQuery(getKillSwitch, 'kill-switch');
  const [current, setCurrent] = useState<KillSwitchState>();
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const state = current ?? query.data;

  if (!state) {
    return <Unloaded query={query} loading="Reading the kill switch…" failed="Cannot read the kill switch" />;
  }

  const engage = !state.engaged;
  const onConfirm = async () => {
    setError(undefined);
    try {
      setCurrent(await putKillSwitch(engage, reason.trim()));
      setConfirming(false);
      setReason('');
    } catch (err) {
      setError(messageOf(err));
      setConfirming(false);
    }
  };

  return (
    <section
      className={state.engaged ? styles.engaged : styles.released}
      aria-label="Kill switch"
      data-testid={testIds.healingConfig.killSwitch}
      data-engaged={state.engaged}
    >
      <Stack direction="row" justifyContent="space-between" alignItems="center" wrap="wrap">
        <div>
          <Text element="h3">
            {state.engaged
              ? 'Kill switch engaged: nothing is executed'
              : 'Kill switch released: actions run as the policies say'}
          </Text>
          <Text color="secondary">
            {state.engaged
              ? 'Proposals are still recorded; approved actions wait until the switch is released.'
              : 'Engage it to stop every action at once, whatever the policies say.'}
            {state.changedAt &&
              ` Last changed ${formatTime(state.changedAt)}${state.changedBy ? ` by ${state.changedBy}` : ''}${state.reason ? `: ${state.reason}` : ''}.`}
          </Text>
        </div>
        <Stack direction="column" alignItems="flex-end" gap={0.5}>
          <Button
            variant={state.engaged ? 'secondary' : 'destructive'}
            icon={state.engaged ? 'play' : 'power'}
            size="lg"
            disabled={!admin}
            aria-describedby={admin ? undefined : 'fp-kill-switch-admin-only'}
            onClick={() => setConfirming(true)}
            data-testid={testIds.healingConfig.killSwitchToggle}
          >
            {state.engaged ? 'Release kill switch' : 'Engage kill switch'}
          </Button>
          {!admin && (
            <Text color="secondary" variant="bodySmall" id="fp-kill-switch-admin-only">
              {adminOnlyReason()}
            </Text>
          )}
        </Stack>
      </Stack>
      {error && (
        <Alert severity="error" title="The kill switch was not changed">
          {error}
        </Alert>
      )}
      <ConfirmModal
        isOpen={confirming}
        title={engage ? 'Engage the kill switch?' : 'Release the kill switch?'}
        body={
          <Stack direction="column" gap={2}>
            <span>
              {engage
                ? 'No action will execute, approved or automatic, until an admin releases it.'
                : 'Approved and automatic actions will execute again, within the safety limits.'}
            </span>
            <Field label="Reason" description="Recorded in the audit log">
              <Input id="fp-kill-switch-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
            </Field>
          </Stack>
        }
        confirmText={engage ? 'Engage' : 'Release'}
        confirmVariant={engage ? 'destructive' : 'primary'}
        onConfirm={onConfirm}
        onDismiss={() => setConfirming(false)}
      />
    </section>
  );
}

const getStyles = (theme: GrafanaTheme2) => {
  const box = {
    padding: theme.spacing(2),
    marginBottom: theme.spacing(3),
    borderRadius: theme.shape.radius.default,
    borderLeft: `4px solid`,
  };
  return {
    engaged: css({ ...box, borderColor: theme.colors.error.border, background: theme.colors.error.transparent }),
    released: css({ ...box, borderColor: theme.colors.success.border, background: theme.colors.background.secondary }),
  };
};
