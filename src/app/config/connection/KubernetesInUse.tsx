import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, Text, useStyles2 } from '@grafana/ui';
import type { KubernetesSettings } from '../../../contract/kubernetes';
import { describeKubernetes, putKubernetes, resetKubernetes } from '../../api/kubernetes';
import type { BackendQuery } from '../../api/useBackendQuery';
import { testIds } from '../../testIds';
import { describeSavedKube, kubernetesBody, kubeSettingsInUse, type SavedKubernetes } from './connectionForm';
import { messageOf } from '../../api/fetchFailure';

interface Props {
  /** The backend's answer to "which Kubernetes do you use?". */
  backendKube: BackendQuery<KubernetesSettings>;
  /** What Grafana has saved (jsonData.kubernetes), if anything. */
  saved?: SavedKubernetes;
  /** The admin is changing the Kubernetes settings here: saving will send them, so no offer to send the old ones. */
  editing: boolean;
  onError: (message: string | undefined) => void;
}

/** Which Kubernetes the backend uses, with a way back to its config file and to send what Grafana has saved. */
export function KubernetesInUse({ backendKube, saved, editing, onError }: Props) {
  const styles = useStyles2(getStyles);
  // Settings saved in Grafana without passing through this page (provisioning, the settings API)
  // reach the backend only when sent: Grafana tells plugins nothing when they change.
  const unsent = saved && backendKube.data && !kubeSettingsInUse(saved, backendKube.data) ? saved : undefined;

  const onSend = async (settings: SavedKubernetes) => {
    onError(undefined);
    try {
      await putKubernetes(kubernetesBody(settings));
    } catch (err) {
      onError(`The backend refused them or could not be reached: ${messageOf(err)}`);
    }
    backendKube.reload();
  };

  const onReset = async () => {
    onError(undefined);
    try {
      await resetKubernetes();
    } catch (err) {
      onError(`The backend could not go back to its config file: ${messageOf(err)}`);
    }
    backendKube.reload();
  };

  return (
    <div className={styles.row} data-testid={testIds.kubernetesAccess.source}>
      {backendKube.data ? (
        <>
          <Text>The backend uses: {describeKubernetes(backendKube.data)}</Text>
          {backendKube.data.source === 'grafana' && (
            <Button
              size="sm"
              variant="secondary"
              fill="outline"
              onClick={onReset}
              data-testid={testIds.kubernetesAccess.reset}
            >
              Use the backend&apos;s config file instead
            </Button>
          )}
          {unsent && !editing && (
            <div className={styles.row} data-testid={testIds.kubernetesAccess.unsent}>
              <Text color="warning">
                Grafana has other Kubernetes settings saved ({describeSavedKube(unsent)}, e.g. from provisioning) that
                the backend does not use.
              </Text>
              <Button
                size="sm"
                variant="secondary"
                onClick={() => onSend(unsent)}
                data-testid={testIds.kubernetesAccess.send}
              >
                Send them to the backend
              </Button>
            </div>
          )}
        </>
      ) : backendKube.error ? (
        <Text color="warning">Which Kubernetes the backend uses is unknown: {backendKube.error.message}</Text>
      ) : (
        <Text color="secondary">Asking the backend which Kubernetes it uses…</Text>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  }),
});
