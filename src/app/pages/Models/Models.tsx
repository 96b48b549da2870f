import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { Alert, Button, EmptyState, InteractiveTable, Pagination, Stack, useStyles2, type Column } from '@grafana/ui';
import { MAX_PAGE_LIMIT, type ModelVersion } from '../../../contract/pipeline';
import { listModels, retrain } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { DisabledReason, useDisabledReason } from '../../components/DisabledReason/DisabledReason';
import { ListFilter } from '../../components/ListFilter/ListFilter';
import { Unloaded } from '../../components/QueryStatus/QueryStatus';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';
import { pageOf, TYPING, useUrlParams } from '../../utils/useUrlParams';
import { countOf } from '../../../utils/count';

/** Rows per page: one model per target, and a fleet has thousands. */
const PAGE_SIZE = 50;

/** The filter and page in the URL (`?q=cart&page=2`), so a link shows the same models. */
const VIEW_DEFAULTS = { q: '', page: '1' };

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
  // Every retrain button is described by the one reason beside "Retrain all now".
  const readOnly = useDisabledReason(canEdit() ? undefined : EDITOR_ONLY_REASON);
  const [view, setView] = useUrlParams(VIEW_DEFAULTS);

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
            disabled={readOnly.disabled || busy !== undefined}
            onClick={() => onRetrain(m.target)}
            aria-label={`Retrain now: ${m.target}`}
            aria-describedby={readOnly.describedBy}
            data-testid={testIds.models.retrain(m.target)}
          >
            {busy === m.target ? 'Retraining…' : 'Retrain now'}
          </Button>
        ),
      },
    ],
    // onRetrain changes with every render but acts only on what busy and readOnly say.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [busy, readOnly.disabled, readOnly.describedBy, styles]
  );

  const all = models.data?.models;
  const { rows, shown, page, pages } = useMemo(() => {
    const needle = view.q.trim().toLowerCase();
    const matching = (all ?? []).filter((m) => !needle || m.target.toLowerCase().includes(needle));
    const count = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
    // An old link or a retrain can leave fewer pages than the URL names: show the last.
    const current = Math.min(count, pageOf(view.page));
    const slice = matching.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE);
    return { rows: matching, shown: slice, page: current, pages: count };
  }, [all, view]);

  if (!all) {
    return <Unloaded query={models} loading="Loading models…" failed="Cannot load the models" />;
  }
  return (
    <Stack direction="column" gap={2}>
      <Stack alignItems="center" gap={2}>
        <Button
          icon="sync"
          disabled={readOnly.disabled || busy !== undefined}
          onClick={() => onRetrain()}
          aria-describedby={readOnly.describedBy}
          data-testid={testIds.models.retrainAll}
        >
          Retrain all now
        </Button>
        <DisabledReason of={readOnly} />
      </Stack>
      {result && (
        <Alert severity={result.ok ? 'success' : 'error'} title={result.ok ? 'Retrained' : 'Retraining failed'}>
          {result.message}
        </Alert>
      )}
      {all.length === 0 ? (
        <div data-testid={testIds.models.empty}>
          <EmptyState variant="call-to-action" message="No models yet">
            A model is trained when the backend first sees a target.
          </EmptyState>
        </div>
      ) : (
        <>
          <ListFilter
            label="Filter models by target"
            placeholder="Filter by target"
            value={view.q}
            onChange={(q) => setView({ q, page: undefined }, TYPING)}
            count={`${countOf(rows.length, all.length, 'model')}${all.length >= MAX_PAGE_LIMIT ? ` (the backend lists at most ${MAX_PAGE_LIMIT})` : ''}`}
          />
          <InteractiveTable columns={columns} data={shown} getRowId={(m) => String(m.id)} />
          <Pagination
            currentPage={page}
            numberOfPages={pages}
            onNavigate={(p) => setView({ page: String(p) })}
            hideWhenSinglePage
          />
        </>
      )}
    </Stack>
  );
}

const getStyles = () => ({
  srOnly: css({ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }),
});
