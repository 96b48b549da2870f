import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, EmptyState, InteractiveTable, Stack, useStyles2, type Column } from '@grafana/ui';
import type { ModelVersion } from '../../../contract/pipeline';
import { listModels, retrain } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { Unloaded } from '../../components/QueryStatus/QueryStatus';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';

export function Models() {
  return (
    <BackendPage testId={testIds.models.container}>
      <ModelTable />
    </BackendPage>
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
      setResult({ ok: false, message: messageOf(err) });
    } finally {
      setBusy(undefined);
    }
  };

  const columns = useMemo<Array<Column<ModelVersion>>>(
    () => [
      { id: 'target', header: 'Target' },
      {
        id: 'version',
        header: 'Version',
        cell: ({ row: { original: m } }) => `v${m.version} (${m.reason.replace('_', ' ')})`,
      },
      {
        id: 'trainedAt',
        header: 'Trained',
        cell: ({ row: { original: m } }) =>
          `${formatTime(m.trainedAt)} on ${formatTime(m.rangeStart)} – ${formatTime(m.rangeEnd)}`,
      },
      { id: 'samples', header: 'Samples' },
      { id: 'threshold', header: 'Threshold', cell: ({ row: { original: m } }) => m.threshold.toFixed(2) },
      { id: 'falsePositives', header: 'False positives', cell: ({ row: { original: m } }) => m.feedback.falsePositive },
      { id: 'confirmed', header: 'Confirmed', cell: ({ row: { original: m } }) => m.feedback.confirmed },
      {
        id: 'retrain',
        header: () => <span className={styles.srOnly}>Retrain</span>,
        cell: ({ row: { original: m } }) => (
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
        ),
      },
    ],
    // onRetrain changes with every render but acts only on what busy and editor say.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [busy, editor, styles]
  );

  if (!models.data) {
    return <Unloaded query={models} loading="Loading models…" failed="Cannot load the models" />;
  }
  const rows = models.data.models;
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
        <InteractiveTable columns={columns} data={rows} getRowId={(m) => String(m.id)} />
      )}
    </Stack>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  secondary: css({ color: theme.colors.text.secondary }),
  srOnly: css({ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }),
});
