import React, { useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, Button, EmptyState, LoadingPlaceholder, Stack, useStyles2 } from '@grafana/ui';
import type { ModelVersion } from '../../../contract/pipeline';
import { listModels, retrain } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { RequireBackend } from '../../components/NotConfigured/NotConfigured';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { dataTableStyles } from '../../../utils/tableStyles';
import { formatTime } from '../../../utils/time';

export function Models() {
  return (
    <PluginPage>
      <div data-testid={testIds.models.container}>
        <RequireBackend>
          <ModelTable />
        </RequireBackend>
      </div>
    </PluginPage>
  );
}

function ModelTable() {
  const styles = useStyles2(getStyles);
  const models = useBackendQuery(listModels, 'models');
  const [busy, setBusy] = useState<string>();
  const [result, setResult] = useState<{ ok: boolean; message: string }>();
  const editor = canEdit();

  const onRetrain = async (target?: string) => {
    setBusy(target ?? '*');
    setResult(undefined);
    try {
      const r = await retrain(target ? { target } : {});
      const failed = r.failed.map((f) => `${f.target}: ${f.error}`).join('; ');
      setResult({
        ok: r.failed.length === 0,
        message: `Retrained ${r.trained} ${r.trained === 1 ? 'model' : 'models'}.${failed ? ` Failed (the previous model stays active): ${failed}` : ''}`,
      });
      models.reload();
    } catch (err) {
      setResult({ ok: false, message: (err as Error).message });
    } finally {
      setBusy(undefined);
    }
  };

  if (models.loading && !models.data) {
    return <LoadingPlaceholder text="Loading models…" />;
  }
  if (!models.data) {
    return (
      <Alert severity="error" title="Cannot load the models">
        {models.error?.message}
      </Alert>
    );
  }
  const rows: ModelVersion[] = models.data.models;
  return (
    <Stack direction="column" gap={2}>
      <Stack alignItems="center" gap={2}>
        <Button
          icon="sync"
          disabled={!editor || busy !== undefined}
          onClick={() => onRetrain()}
          data-testid={testIds.models.retrainAll}
          tooltip={editor ? undefined : EDITOR_ONLY_REASON}
        >
          Retrain all now
        </Button>
        {!editor && <span className={styles.secondary}>{EDITOR_ONLY_REASON}</span>}
      </Stack>
      {result && (
        <Alert severity={result.ok ? 'success' : 'error'} title={result.ok ? 'Retrained' : 'Retraining failed'}>
          {result.message}
        </Alert>
      )}
      {rows.length === 0 ? (
        <div data-testid={testIds.models.empty}>
          <EmptyState variant="call-to-action" message="No models yet">
            A model is trained when the backend first sees a target.
          </EmptyState>
        </div>
      ) : (
        <table className={styles.table}>
          <thead>
            <tr>
              <th scope="col">Target</th>
              <th scope="col">Version</th>
              <th scope="col">Trained</th>
              <th scope="col">Samples</th>
              <th scope="col">Threshold</th>
              <th scope="col">False positives</th>
              <th scope="col">Confirmed</th>
              <th scope="col">
                <span className={styles.srOnly}>Retrain</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id}>
                <td>{m.target}</td>
                <td>
                  v{m.version} ({m.reason.replace('_', ' ')})
                </td>
                <td>
                  {formatTime(m.trainedAt)} on {formatTime(m.rangeStart)} – {formatTime(m.rangeEnd)}
                </td>
                <td>{m.samples}</td>
                <td>{m.threshold.toFixed(2)}</td>
                <td>{m.feedback.falsePositive}</td>
                <td>{m.feedback.confirmed}</td>
                <td>
                  <Button
                    size="sm"
                    variant="secondary"
                    disabled={!editor || busy !== undefined}
                    onClick={() => onRetrain(m.target)}
                    aria-label={`Retrain now: ${m.target}`}
                    data-testid={testIds.models.retrain(m.target)}
                  >
                    {busy === m.target ? 'Retraining…' : 'Retrain now'}
                  </Button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  secondary: css({ color: theme.colors.text.secondary }),
  srOnly: css({ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }),
  table: css(dataTableStyles(theme)),
});
