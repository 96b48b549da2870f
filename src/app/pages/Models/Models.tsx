import React, { useMemo, useState } from 'react';
import { Alert, Badge, Button, EmptyState, InteractiveTable, RadioButtonGroup, Stack, type Column } from '@grafana/ui';
import { modelSortSchema, type ModelVersion, type RetrainResponse } from '../../../contract/pipeline';
import { listModels, retrain, type ModelListQuery } from '../../api/pipeline';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { CursorPager, type PagerWords } from '../../components/CursorPager/CursorPager';
import { DisabledReason, useDisabledReason, type DisabledFor } from '../../components/DisabledReason/DisabledReason';
import { ListFilter } from '../../components/ListFilter/ListFilter';
import { QueryStatus, Unloaded } from '../../components/QueryStatus/QueryStatus';
import { canEdit, EDITOR_ONLY_REASON } from '../../permissions';
import { testIds } from '../../testIds';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';
import { TYPING, useUrlParams, type UrlParamsChange } from '../../utils/useUrlParams';
import { visuallyHidden } from '../../utils/visuallyHidden';
import { counted } from '../../../utils/count';
import type { RetrainRequestView } from '../../../contract/retrainRequests';
import { byTarget, RetrainRequestState } from './RetrainRequestState';

/** Rows per page, as the other lists; the backend filters, sorts and pages the whole fleet. */
const PAGE_SIZE = 50;

/** How often the page is read again: what became of retraining queued on other replicas, and what it trained. */
const REFRESH_MS = 30_000;

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

/** Which of how many models a page shows: "3 models", "Showing 51–100 of 100,000 models". */
export function pageCount(offset: number, shown: number, total: number): string {
  if (shown === total) {
    return counted(total, 'model');
  }
  const n = (x: number) => x.toLocaleString('en-US');
  const of = `of ${n(total)} ${total === 1 ? 'model' : 'models'}`;
  return shown === 0 ? `None ${of}` : `Showing ${n(offset + 1)}–${n(offset + shown)} ${of}`;
}

/** The orders offered: each a sort and its direction, as the URL holds them. */
const ORDERS: Array<{ value: string; label: string }> = [
  { value: 'trainedAt desc', label: 'Newest trained' },
  { value: 'trainedAt asc', label: 'Oldest trained' },
  { value: 'target asc', label: 'Target A–Z' },
  { value: 'target desc', label: 'Target Z–A' },
];

/** The pager's words: the models come in the order picked, not newest first. */
const MODEL_PAGES: PagerWords = { first: 'First', before: 'Previous', after: 'Next' };

/**
 * The filter, order and page in the URL (`?q=cart&sort=target&order=asc&cursor=...`), so a link shows
 * the same models; `cursor` is the page's (the backend's `next` or `previous` of another page).
 */
const VIEW_DEFAULTS = { q: '', sort: 'trainedAt', order: 'desc', cursor: '' };

/** What the backend is asked for the view's page; what does not parse (an edited or old link) is the default. */
function modelQuery(view: typeof VIEW_DEFAULTS): ModelListQuery {
  const sort = modelSortSchema.safeParse(view.sort);
  return {
    q: view.q.trim() || undefined,
    sort: sort.success ? sort.data : 'trainedAt',
    order: view.order === 'asc' ? 'asc' : 'desc',
    cursor: view.cursor || undefined,
    limit: PAGE_SIZE,
  };
}

export function Models() {
  return (
    <BackendPage testId={testIds.models.container}>
      <ModelTable />
    </BackendPage>
  );
}

function ModelTable() {
  const [view, setView] = useUrlParams(VIEW_DEFAULTS);
  const query = useMemo(() => modelQuery(view), [view]);
  const models = useBackendQuery(() => listModels(query), JSON.stringify(query), { refreshMs: REFRESH_MS });
  const page = models.data;
  // Each target's queued retraining, read with the page: only the page's targets, however large the fleet.
  const latest = useMemo(() => byTarget(page?.requests ?? []), [page]);
  const expiresAfterMs = page?.expiresAfterMs ?? 0;
  const [busy, setBusy] = useState<string>();
  const [result, setResult] = useState<{ ok: boolean; title: string; message: string }>();
  // Every retrain button is described by the one reason beside "Retrain all now".
  const readOnly = useDisabledReason(canEdit() ? undefined : EDITOR_ONLY_REASON);
  // A new filter or order shows its first page.
  const viewed = (patch: Partial<typeof VIEW_DEFAULTS>, change?: UrlParamsChange) =>
    setView({ ...patch, cursor: undefined }, change);

  const onRetrain = async (target?: string) => {
    setBusy(target ?? '*');
    setResult(undefined);
    try {
      const r = await retrain(target ? { target } : {});
      const ok = r.failed.length === 0;
      const title = !ok ? 'Retraining failed' : r.trained === 0 && r.queued ? 'Retraining queued' : 'Retrained';
      setResult({ ok, title, message: retrainOutcome(r) });
      models.reload();
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
        header: () => <span className={visuallyHidden}>Retrain</span>,
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
    [busy, readOnly.disabled, readOnly.describedBy, latest, expiresAfterMs]
  );

  if (!page) {
    return <Unloaded query={models} loading="Loading models…" failed="Cannot load the models" />;
  }
  const total = page.total ?? page.models.length;
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
      {total === 0 && !query.q ? (
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
            onChange={(q) => viewed({ q }, TYPING)}
            count={pageCount(page.offset ?? 0, page.models.length, total)}
          >
            <RadioButtonGroup
              aria-label="Order of the models"
              options={ORDERS}
              value={`${query.sort} ${query.order}`}
              onChange={(value) => {
                const [sort, order] = value.split(' ');
                viewed({ sort, order });
              }}
            />
          </ListFilter>
          <QueryStatus query={models} what="the models" />
          {page.models.length === 0 ? (
            <EmptyState variant="not-found" message="No models match this filter" />
          ) : (
            <InteractiveTable columns={columns} data={page.models} getRowId={(m) => String(m.id)} />
          )}
          <CursorPager
            label="Pages of models"
            cursor={query.cursor}
            next={page.next}
            previous={page.previous}
            onNavigate={(cursor) => setView({ cursor })}
            words={MODEL_PAGES}
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
