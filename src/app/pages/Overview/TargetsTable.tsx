import React, { createContext, useContext, useId, useMemo, useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Link } from 'react-router-dom';
import { Badge, Button, Combobox, Icon, Stack, useStyles2, type Column } from '@grafana/ui';
import { noForecastText, targetSortSchema, type Target, type TargetSort } from '../../../contract/pipeline';
import { severitySchema, type Severity } from '../../../contract/vocabulary';
import { PLUGIN_BASE_URL, ROUTES } from '../../../constants';
import type { TargetListQuery } from '../../api/pipeline';
import { AncestorAttributes, DataTable } from '../../components/DataTable/DataTable';
import { LearningBadge } from '../../components/LearningBadge/LearningBadge';
import { ListFilter } from '../../components/ListFilter/ListFilter';
import { testIds } from '../../testIds';
import { TYPING, useUrlParams, type UrlParamsChange } from '../../utils/useUrlParams';
import { counted } from '../../../utils/count';
import { SEVERITY_COLOR, timeToFailureWords } from './format';
import { ScoreSparkline } from './ScoreSparkline';
import { COUNTDOWN_MS, useNow } from './useNow';

const COLUMN_LABEL: Record<TargetSort, string> = {
  target: 'Target',
  score: 'Anomaly score',
  severity: 'Severity',
  timeToFailure: 'Time to failure',
  openAnomalies: 'Open anomalies',
};

/** A column's first click: the worst first (the soonest crossing is the least time to failure). */
const FIRST_ORDER: Record<TargetSort, 'asc' | 'desc'> = {
  target: 'desc',
  score: 'desc',
  severity: 'desc',
  timeToFailure: 'asc',
  openAnomalies: 'desc',
};

const SEVERITY_FILTER = [
  { value: 'any', label: 'Any severity' },
  ...severitySchema.options.map((s) => ({ value: s, label: s })),
];

/** Rows per page: a fleet has thousands of targets, and each row draws a sparkline. */
export const TARGETS_PAGE_SIZE = 50;

/**
 * The view's search parameters in the URL (`?q=cart&severity=critical&sort=target&order=asc&cursor=...`);
 * `cursor` is the page's (the backend's `next` of the page before).
 */
const VIEW_DEFAULTS = { q: '', severity: 'any', sort: 'score', order: 'desc', cursor: '' };

/** The targets the Overview shows: filtered, sorted and paged by the backend over the whole fleet. */
export interface TargetsView {
  filter: string;
  severity: Severity | 'any';
  sort: { key: TargetSort; desc: boolean };
  cursor?: string;
}

/** The view as the URL says it; what does not parse (an edited or old link) is the default. */
function parseView(raw: typeof VIEW_DEFAULTS): TargetsView {
  const severity = severitySchema.safeParse(raw.severity);
  const sort = targetSortSchema.safeParse(raw.sort);
  return {
    filter: raw.q,
    severity: severity.success ? severity.data : 'any',
    sort: { key: sort.success ? sort.data : 'score', desc: raw.order !== 'asc' },
    cursor: raw.cursor || undefined,
  };
}

/** A change of the view: a new filter or sort starts from the first page. */
export type ViewChange = (patch: Partial<typeof VIEW_DEFAULTS>, change?: UrlParamsChange) => void;

/** The Overview's view of the targets, kept in the URL so that a view is a link. */
export function useTargetsView(): [TargetsView, ViewChange] {
  const [raw, setView] = useUrlParams(VIEW_DEFAULTS);
  return [useMemo(() => parseView(raw), [raw]), setView];
}

/** What the backend is asked for the view's page. */
export function targetsQuery(view: TargetsView): TargetListQuery {
  return {
    q: view.filter.trim() || undefined,
    severity: view.severity === 'any' ? undefined : view.severity,
    sort: view.sort.key,
    order: view.sort.desc ? 'desc' : 'asc',
    cursor: view.cursor,
    limit: TARGETS_PAGE_SIZE,
  };
}

/** Whether the view narrows the fleet: an empty page is then no empty fleet. */
export const narrowed = (view: TargetsView) => view.filter.trim() !== '' || view.severity !== 'any';

/**
 * A page of the watched targets, as the backend sorted and filtered the whole fleet; each links to
 * its detail. The headers, the filters and the pager change the view (`onView`), which the page
 * asks the backend for. `total`: the targets the filters match (absent from backends before it).
 */
export function TargetsTable({
  targets,
  next,
  total,
  view,
  onView,
  nowMs,
}: {
  targets: Target[];
  next?: string | null;
  total?: number;
  view: TargetsView;
  onView: ViewChange;
  /** What times to failure count from (absent: the clock, renewed every COUNTDOWN_MS). */
  nowMs?: number;
}) {
  const styles = useStyles2(getStyles);
  const clock = useNow(COUNTDOWN_MS);
  const severityLabel = useId();
  const { sort } = view;
  // The cursors of the pages before this one, for Previous: the backend links only forward.
  const [trail, setTrail] = useState<Array<string | undefined>>([]);
  const filtered = (patch: Partial<typeof VIEW_DEFAULTS>, change?: UrlParamsChange) => {
    setTrail([]);
    onView({ ...patch, cursor: undefined }, change);
  };
  const sorting = useMemo(
    () => ({
      sort,
      onSort: (key: TargetSort) => {
        setTrail([]);
        const order = sort.key === key ? (sort.desc ? 'asc' : 'desc') : FIRST_ORDER[key];
        onView({ sort: key, order, cursor: undefined });
      },
    }),
    [sort, onView]
  );
  const page = (cursor: string | undefined, before: Array<string | undefined>) => {
    setTrail(before);
    onView({ cursor });
  };

  return (
    <section aria-label="Targets" data-testid={testIds.overview.targets}>
      <ListFilter
        label="Filter targets"
        placeholder="Filter by target, label or failure model"
        value={view.filter}
        onChange={(q) => filtered({ q }, TYPING)}
        count={total === undefined ? '' : counted(total, 'target')}
        testId={testIds.overview.filter}
      >
        {/* Combobox takes no aria-label: its name comes from this unseen text. */}
        <span id={severityLabel} hidden>
          Filter by severity
        </span>
        <Combobox
          aria-labelledby={severityLabel}
          width={20}
          options={SEVERITY_FILTER}
          value={view.severity}
          onChange={(o) => filtered({ severity: o.value })}
        />
      </ListFilter>
      <SortContext.Provider value={sorting}>
        <NowContext.Provider value={nowMs ?? clock}>
          <DataTable
            className={styles.table}
            columns={COLUMNS}
            data={targets}
            getRowId={targetId}
            rowAttributes={targetRow}
          />
        </NowContext.Provider>
      </SortContext.Provider>
      {(view.cursor !== undefined || next) && (
        <nav aria-label="Pages of targets">
          <Stack gap={1}>
            <Button
              variant="secondary"
              size="sm"
              icon="angle-double-left"
              disabled={view.cursor === undefined}
              onClick={() => page(undefined, [])}
            >
              First
            </Button>
            <Button
              variant="secondary"
              size="sm"
              icon="angle-left"
              disabled={trail.length === 0}
              onClick={() => page(trail[trail.length - 1], trail.slice(0, -1))}
            >
              Previous
            </Button>
            <Button
              variant="secondary"
              size="sm"
              icon="angle-right"
              disabled={!next}
              onClick={() => next && page(next, [...trail, view.cursor])}
            >
              Next
            </Button>
          </Stack>
        </nav>
      )}
    </section>
  );
}

const targetId = (t: Target) => t.id;
const targetRow = (t: Target) => ({ 'data-testid': testIds.overview.target(t.id) });

type Sort = TargetsView['sort'];

/**
 * The order the backend was asked for; the header buttons read and change it through this context, so
 * that the columns stay the same objects and a button keeps its focus when clicked.
 */
const SortContext = createContext<{ sort: Sort; onSort: (key: TargetSort) => void }>({
  sort: { key: 'score', desc: true },
  onSort: () => {},
});

/** What the times to failure count from; a context, like the sort, so that the columns stay the same objects. */
const NowContext = createContext(0);

const header = (column: TargetSort) =>
  function SortHeader() {
    return <SortButton column={column} />;
  };

const COLUMNS: Array<Column<Target>> = [
  { id: 'target', header: header('target'), cell: ({ row: { original: t } }) => <TargetName target={t} /> },
  {
    id: 'score',
    header: header('score'),
    cell: ({ row: { original: t } }) => <ScoreMeter score={t.score} threshold={t.threshold} />,
  },
  {
    id: 'severity',
    header: header('severity'),
    cell: ({ row: { original: t } }) =>
      t.severity ? <Badge color={SEVERITY_COLOR[t.severity]} text={t.severity} /> : '–',
  },
  {
    id: 'timeToFailure',
    header: header('timeToFailure'),
    cell: ({ row: { original: t } }) => <TimeToFailureCell target={t} />,
  },
  { id: 'openAnomalies', header: header('openAnomalies') },
  {
    id: 'scores',
    header: 'Recent score',
    cell: ({ row: { original: t } }) =>
      t.scores && t.scores.length > 1 ? <ScoreSparkline id={t.id} scores={t.scores} threshold={t.threshold} /> : '–',
  },
  {
    id: 'failureModel',
    header: 'Failure model',
    cell: ({ row: { original: t } }) => t.failureModel?.replace('_', ' ') ?? '–',
  },
];

/** A column's header: a button that sorts by it (descending first), its `th` telling screen readers the order. */
function SortButton({ column }: { column: TargetSort }) {
  const styles = useStyles2(getStyles);
  const { sort, onSort } = useContext(SortContext);
  const sorted = sort.key === column;
  return (
    <>
      <AncestorAttributes
        selector="th"
        attributes={{ 'aria-sort': sorted ? (sort.desc ? 'descending' : 'ascending') : 'none' }}
      />
      <button className={styles.sort} onClick={() => onSort(column)}>
        {COLUMN_LABEL[column]}
        {sorted && <Icon name={sort.desc ? 'arrow-down' : 'arrow-up'} />}
      </button>
    </>
  );
}

/**
 * The time left from now and the signal (the crossing time in the title), and since when when out
 * of date; without one, "–" with the reason in its title.
 */
function TimeToFailureCell({ target: t }: { target: Target }) {
  const styles = useStyles2(getStyles);
  const nowMs = useContext(NowContext);
  const ttf = t.timeToFailure;
  if (!ttf) {
    const why = noForecastText(t);
    return why ? <span title={`No time to failure: ${why}`}>–</span> : '–';
  }
  const words = timeToFailureWords(ttf, nowMs);
  return (
    <span title={`${ttf.signal} ${ttf.direction} ${ttf.limit} at ${words.at}`}>
      {words.left} ({ttf.signal}){words.asOf && <span className={styles.asOf}> as of {words.asOf}</span>}
    </span>
  );
}

function TargetName({ target: t }: { target: Target }) {
  const styles = useStyles2(getStyles);
  return (
    <>
      <Link className={styles.link} to={`${PLUGIN_BASE_URL}/${ROUTES.Target}/${encodeURIComponent(t.id)}`}>
        {t.id}
      </Link>
      <LearningBadge {...t} className={styles.badge} />
      {t.degraded && <Badge color="orange" text="Stale: query failing" className={styles.badge} />}
    </>
  );
}

/** The current score against the target's threshold, readable by screen readers as a meter. */
function ScoreMeter({ score, threshold }: { score: number; threshold: number }) {
  const styles = useStyles2(getStyles);
  const over = score >= threshold;
  return (
    <div className={styles.meterRow}>
      <div
        role="meter"
        aria-valuemin={0}
        aria-valuemax={1}
        aria-valuenow={score}
        aria-label={`Anomaly score ${score.toFixed(2)} of threshold ${threshold.toFixed(2)}`}
        className={styles.meter}
      >
        <div className={over ? styles.fillOver : styles.fill} style={{ width: `${Math.round(score * 100)}%` }} />
        <div className={styles.threshold} style={{ left: `${Math.round(threshold * 100)}%` }} />
      </div>
      <span>{score.toFixed(2)}</span>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  // Seven columns fit a 1024 px window: headers wrap, and a target id (labels with long values, no
  // spaces) breaks anywhere rather than pushing the last columns out of sight, in a column wide
  // enough to read it.
  table: css({
    marginTop: theme.spacing(2),
    'th, th > button': { whiteSpace: 'normal' },
    'td:first-of-type': { minWidth: theme.spacing(30) },
  }),
  sort: css({
    all: 'unset',
    cursor: 'pointer',
    color: theme.colors.text.secondary,
    fontWeight: theme.typography.fontWeightMedium,
    display: 'inline-flex',
    gap: theme.spacing(0.5),
    '&:focus-visible': { outline: `2px solid ${theme.colors.primary.main}` },
  }),
  badge: css({ marginLeft: theme.spacing(1) }),
  asOf: css({ color: theme.colors.text.secondary }),
  link: css({ color: theme.colors.text.link, overflowWrap: 'anywhere', '&:hover': { textDecoration: 'underline' } }),
  meterRow: css({ display: 'flex', alignItems: 'center', gap: theme.spacing(1), whiteSpace: 'nowrap' }),
  meter: css({
    position: 'relative',
    width: 120,
    height: theme.spacing(1),
    background: theme.colors.background.secondary,
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
  }),
  fill: css({ height: '100%', background: theme.colors.success.main }),
  fillOver: css({ height: '100%', background: theme.colors.error.main }),
  threshold: css({ position: 'absolute', top: -2, bottom: -2, width: 2, background: theme.colors.text.primary }),
});
