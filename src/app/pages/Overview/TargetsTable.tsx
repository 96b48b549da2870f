import React, { createContext, useContext, useId, useMemo } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Link } from 'react-router-dom';
import { Badge, Combobox, Icon, Pagination, useStyles2, type Column } from '@grafana/ui';
import { MAX_PAGE_LIMIT, type Target } from '../../../contract/pipeline';
import { severitySchema } from '../../../contract/vocabulary';
import { PLUGIN_BASE_URL, ROUTES } from '../../../constants';
import { AncestorAttributes, DataTable } from '../../components/DataTable/DataTable';
import { LearningBadge } from '../../components/LearningBadge/LearningBadge';
import { ListFilter } from '../../components/ListFilter/ListFilter';
import { testIds } from '../../testIds';
import { pageOf, TYPING, useUrlParams } from '../../utils/useUrlParams';
import { countOf } from '../../../utils/count';
import { crossingAt, SEVERITY_COLOR, SEVERITY_RANK, timeToFailureWords } from './format';
import { ScoreSparkline } from './ScoreSparkline';
import { COUNTDOWN_MS, useNow } from './useNow';

type SortKey = 'target' | 'score' | 'severity' | 'timeToFailure' | 'openAnomalies';

const SORTS: Record<SortKey, (t: Target) => number | string> = {
  target: (t) => t.id,
  score: (t) => t.score,
  severity: (t) => (t.severity ? SEVERITY_RANK[t.severity] : -1),
  // Soonest failure first when descending: no forecast sorts last. By crossing time: forecasts made
  // at different steps count from different times.
  timeToFailure: (t) => -crossingAt(t.timeToFailure),
  openAnomalies: (t) => t.openAnomalies,
};

const isSortKey = (key: string): key is SortKey => Object.hasOwn(SORTS, key);

const COLUMN_LABEL: Record<SortKey, string> = {
  target: 'Target',
  score: 'Anomaly score',
  severity: 'Severity',
  timeToFailure: 'Time to failure',
  openAnomalies: 'Open anomalies',
};

const SEVERITY_FILTER = [
  { value: 'any', label: 'Any severity' },
  ...(['critical', 'high', 'medium', 'low'] as const).map((s) => ({ value: s, label: s })),
];

/** Rows per page: a fleet has thousands of targets, and each row draws a sparkline. */
export const TARGETS_PAGE_SIZE = 50;

/** The view's search parameters in the URL (`?q=cart&severity=critical&sort=target&order=asc&page=2`). */
const VIEW_DEFAULTS = { q: '', severity: 'any', sort: 'score', order: 'desc', page: '1' };

/** The view as the URL says it; what does not parse (an edited or old link) is the default. */
function parseView(raw: typeof VIEW_DEFAULTS) {
  const severity = severitySchema.safeParse(raw.severity);
  return {
    filter: raw.q,
    severity: severity.success ? severity.data : 'any',
    sort: {
      key: isSortKey(raw.sort) ? raw.sort : 'score',
      desc: raw.order !== 'asc',
    },
    page: pageOf(raw.page),
  };
}

/**
 * The watched targets, sortable, filterable and paged; each links to its detail. `more`: the
 * backend has targets beyond these (it lists at most MAX_PAGE_LIMIT at once), which the count says.
 */
export function TargetsTable({
  targets,
  more = false,
  nowMs,
}: {
  targets: Target[];
  more?: boolean;
  /** What times to failure count from (absent: the clock, renewed every COUNTDOWN_MS). */
  nowMs?: number;
}) {
  const styles = useStyles2(getStyles);
  const clock = useNow(COUNTDOWN_MS);
  const [raw, setView] = useUrlParams(VIEW_DEFAULTS);
  const { filter, severity, sort, page } = useMemo(() => parseView(raw), [raw]);
  const severityLabel = useId();

  const rows = useMemo(() => {
    const needle = filter.trim().toLowerCase();
    const pick = SORTS[sort.key];
    return targets
      .filter((t) => severity === 'any' || t.severity === severity)
      .filter((t) => !needle || t.id.toLowerCase().includes(needle) || t.failureModel?.includes(needle))
      .sort((a, b) => {
        const [x, y] = [pick(a), pick(b)];
        const order = x < y ? -1 : x > y ? 1 : 0;
        return sort.desc ? -order : order;
      });
  }, [targets, filter, severity, sort]);
  const pages = Math.max(1, Math.ceil(rows.length / TARGETS_PAGE_SIZE));
  // A refresh or a filter can shrink the list under the page shown: stay on the last one.
  const current = Math.min(page, pages);
  const shown = useMemo(
    () => rows.slice((current - 1) * TARGETS_PAGE_SIZE, current * TARGETS_PAGE_SIZE),
    [rows, current]
  );
  const sorting = useMemo(
    () => ({
      sort,
      onSort: (key: SortKey) =>
        setView({ sort: key, order: sort.key === key && sort.desc ? 'asc' : 'desc', page: undefined }),
    }),
    [sort, setView]
  );

  return (
    <section aria-label="Targets" data-testid={testIds.overview.targets}>
      <ListFilter
        label="Filter targets"
        placeholder="Filter by target, label or failure model"
        value={filter}
        onChange={(q) => setView({ q, page: undefined }, TYPING)}
        count={`${countOf(rows.length, targets.length, 'target')}${more ? ` (the backend lists at most ${MAX_PAGE_LIMIT}; more are not shown)` : ''}`}
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
          value={severity}
          onChange={(o) => setView({ severity: o.value, page: undefined })}
        />
      </ListFilter>
      <SortContext.Provider value={sorting}>
        <NowContext.Provider value={nowMs ?? clock}>
          <DataTable
            className={styles.table}
            columns={COLUMNS}
            data={shown}
            getRowId={targetId}
            rowAttributes={targetRow}
          />
        </NowContext.Provider>
      </SortContext.Provider>
      <Pagination
        currentPage={current}
        numberOfPages={pages}
        onNavigate={(p) => setView({ page: String(p) })}
        hideWhenSinglePage
      />
    </section>
  );
}

const targetId = (t: Target) => t.id;
const targetRow = (t: Target) => ({ 'data-testid': testIds.overview.target(t.id) });

type Sort = { key: SortKey; desc: boolean };

/**
 * The table sorts its rows itself, before filtering and paging; the header buttons read and change
 * that order through this context, so that the columns stay the same objects and a button keeps its
 * focus when clicked.
 */
const SortContext = createContext<{ sort: Sort; onSort: (key: SortKey) => void }>({
  sort: { key: 'score', desc: true },
  onSort: () => {},
});

/** What the times to failure count from; a context, like the sort, so that the columns stay the same objects. */
const NowContext = createContext(0);

const header = (column: SortKey) =>
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
function SortButton({ column }: { column: SortKey }) {
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
    return t.noForecast ? <span title={`No time to failure: ${t.noForecast}`}>–</span> : '–';
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
