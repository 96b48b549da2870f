import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import {
  Alert,
  Badge,
  Button,
  EmptyState,
  InteractiveTable,
  Pagination,
  Stack,
  useStyles2,
  type Column,
} from '@grafana/ui';
import { MAX_PAGE_LIMIT, type ModelVersion, type RetrainResponse } from '../../../contract/pipeline';
import { listModels, readNewestRetrainRequests, retrain } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { DisabledReason, useDisabledReason, type DisabledFor } from '../../components/DisabledReason/DisabledReason';
import { ListFilter } from '../../components/ListFilter/ListFilter';
import { Unloaded } from '../../components/QueryStatus/QueryStatus';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';
import { pageOf, TYPING, useUrlParams } from '../../utils/useUrlParams';
import { counted, countOf } from '../../../utils/count';
import type { RetrainRequestView } from '../../../contract/retrainRequests';
import { byTarget, RetrainRequestState } from './RetrainRequestState';

/** Rows per page: one model per target, and a fleet has thousands. */
const PAGE_SIZE = 50;

/** How often the page asks what became of retraining queued on other replicas. */
const REQUESTS_REFRESH_MS = 30_000;

/** Why a retired model's Retrain button is disabled. */
export const RETIRED_REASON = 'Its target is gone (no samples for a while): nothing to retrain until it is back.';

/** What a retraining did, in words: here, failed, and queued for the replicas that hold the rest. */
export function retrainOutcome(r: RetrainResponse): string {
  const failed = r.failed.map((f) => `${f.target}: ${f.error}`).join('; ');
  const queued = (r.queued ?? []).map((q) => `${counted(q.targets, 'target')} for ${q.replica}`).join(', ');
  const done = `Retrained ${counted(r.trained, 'model')}${queued ? ' here' : ''}.`;
  return [
    queued && r.trained === 0 && !failed ? '' : done,
    queued
      ? `Queued ${queued}: the replica holding each target retrains it after its next cycle; each row says when it has run or expired.`
      : '',
    failed ? `Failed (the previous model stays active): ${failed}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

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
  // Failing, it only leaves the rows without their queued retraining: the models still list.
  const requests = useBackendQuery(readNewestRetrainRequests, 'retrain-requests', { refreshMs: REQUESTS_REFRESH_MS });
  const latest = useMemo(() => byTarget(requests.data?.requests ?? []), [requests.data]);
  const expiresAfterMs = requests.data?.expiresAfterMs ?? 0;
  const [busy, setBusy] = useState<string>();
  const [result, setResult] = useState<{ ok: boolean; title: string; message: string }>();
  // Every retrain button is described by the one reason beside "Retrain all now".
  const readOnly = useDisabledReason(canEdit() ? undefined : EDITOR_ONLY_REASON);
  const [view, setView] = useUrlParams(VIEW_DEFAULTS);

  const onRetrain = async (target?: string) => {
    setBusy(target ?? '*');
    setResult(undefined);
    try {
      const r = await retrain(target ? { target } : {});
      const ok = r.failed.length === 0;
      const title = !ok ? 'Retraining failed' : r.trained === 0 && r.queued ? 'Retraining queued' : 'Retrained';
      setResult({ ok, title, message: retrainOutcome(r) });
      models.reload();
      requests.reload();
    } catch (err) {
      setResult({ ok: false, title: 'Retraining failed', message: messageOf(err) });
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
        cell: ({ row: { original: m } }) => (
          <Stack gap={1} alignItems="center">
            <span>{`v${m.version} (${m.reason.replace('_', ' ')})`}</span>
            {m.status === 'retired' && <Badge color="purple" text="Retired" />}
          </Stack>
        ),
      },
      {
        id: 'trainedAt',
        header: 'Trained',
        cell: ({ row: { original: m } }) =>
          `${formatTime(m.trainedAt)} on ${formatTime(m.rangeStart)} – ${formatTime(m.rangeEnd)}`,
      },
      { id: 'samples', header: 'Samples' },
      { id: 'threshold', header: 'Threshold', cell: ({ row: { original: m } }) => m.threshold.toFixed(2) },
      // The feedback this version was trained with: feedback given since counts at the next retraining.
      {
        id: 'falsePositives',
        header: 'False positives used in this version',
        cell: ({ row: { original: m } }) => m.feedback.falsePositive,
      },
      {
        id: 'confirmed',
        header: 'Confirmed used in this version',
        cell: ({ row: { original: m } }) => m.feedback.confirmed,
      },
      {
        id: 'retrain',
        header: () => <span className={styles.srOnly}>Retrain</span>,
        cell: ({ row: { original: m } }) => (
          <RetrainButton
            model={m}
            busy={busy}
            readOnly={readOnly}
            onRetrain={onRetrain}
            request={latest.get(m.target)}
            expiresAfterMs={expiresAfterMs}
          />
        ),
      },
    ],
    // onRetrain changes with every render but acts only on what busy and readOnly say.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [busy, readOnly.disabled, readOnly.describedBy, styles, latest, expiresAfterMs]
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
        <Alert severity={result.ok ? 'success' : 'error'} title={result.title}>
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

/**
 * A row's "Retrain now": disabled, with the reason beside it, for a model whose target is gone; and
 * what became of retraining queued for it on another replica.
 */
function RetrainButton({
  model: m,
  busy,
  readOnly,
  onRetrain,
  request,
  expiresAfterMs,
}: {
  model: ModelVersion;
  busy: string | undefined;
  readOnly: DisabledFor;
  onRetrain: (target: string) => void;
  /** The target's newest retraining queued on another replica, if any. */
  request: RetrainRequestView | undefined;
  expiresAfterMs: number;
}) {
  const retired = useDisabledReason(m.status === 'retired' ? RETIRED_REASON : undefined);
  return (
    <Stack gap={1} alignItems="center">
      <Button
        size="sm"
        variant="secondary"
        disabled={readOnly.disabled || retired.disabled || busy !== undefined}
        onClick={() => onRetrain(m.target)}
        aria-label={`Retrain now: ${m.target}`}
        aria-describedby={retired.describedBy ?? readOnly.describedBy}
        data-testid={testIds.models.retrain(m.target)}
      >
        {busy === m.target ? 'Retraining…' : 'Retrain now'}
      </Button>
      <DisabledReason of={retired} variant="bodySmall" />
      {request && (
        <RetrainRequestState request={request} expiresAfterMs={expiresAfterMs} modelTrainedAt={m.trainedAt} />
      )}
    </Stack>
  );
}

const getStyles = () => ({
  srOnly: css({ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }),
});
