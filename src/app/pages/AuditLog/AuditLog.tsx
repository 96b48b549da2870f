import React, { useMemo, useState } from 'react';
import { css } from '@emotion/css';
import { dateMath, dateTime, getTimeZone, type DateTime, type GrafanaTheme2, type TimeRange } from '@grafana/data';
import {
  Alert,
  Button,
  EmptyState,
  Field,
  Input,
  InteractiveTable,
  MultiCombobox,
  Stack,
  TimeRangeInput,
  useStyles2,
  type Column,
} from '@grafana/ui';
import { AUDIT_KIND_MEANINGS, auditKindSchema, type AuditEntry } from '../../../contract/healing';
import { exportAudit, listAudit, type AuditFilter } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { QueryStatus } from '../../components/QueryStatus/QueryStatus';
import { testIds } from '../../testIds';
import { downloadText } from '../../utils/download';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';
import { TYPING, useUrlParams, type UrlParamsChange } from '../../utils/useUrlParams';
import { counted } from '../../../utils/count';
import { CursorPager } from '../../components/CursorPager/CursorPager';
import { ListFilter } from '../../components/ListFilter/ListFilter';

const PAGE_SIZE = 50;
const kindLabel = (kind: string) => kind.replace(/_/g, ' ');
const KIND_OPTIONS = auditKindSchema.options.map((k) => ({
  value: k,
  label: kindLabel(k),
  description: AUDIT_KIND_MEANINGS[k],
}));

export function AuditLog() {
  return (
    <BackendPage testId={testIds.audit.container}>
      <AuditEntries />
    </BackendPage>
  );
}

/**
 * The filters' search parameters in the URL, so a filtered view of the log is a link to share. The
 * range's ends are Grafana's relative text ("now-7d") or epoch milliseconds, as in Grafana's URLs;
 * `kind` is a comma-separated list; `cursor` the page's (the backend's `next` or `previous`).
 */
const VIEW_DEFAULTS = {
  from: 'now-7d',
  to: 'now',
  kind: '',
  user: '',
  trigger: '',
  action: '',
  target: '',
  cursor: '',
};

/** One end of the range as the URL holds it. */
function rawTime(t: DateTime | string): string {
  return typeof t === 'string' ? t : String(t.valueOf());
}

/** The range the URL names; the last 7 days when an end does not parse. */
function rangeOf(from: string, to: string): TimeRange {
  const parse = (text: string, roundUp: boolean) => {
    const relative = dateMath.isMathString(text);
    const time = /^\d+$/.test(text)
      ? dateTime(Number(text))
      : relative
        ? dateMath.toDateTime(text, { roundUp, timezone: getTimeZone() })
        : undefined;
    return time?.isValid() ? { time, raw: relative ? text : time } : undefined;
  };
  const [f, t] = [parse(from, false), parse(to, true)];
  return f && t ? { from: f.time, to: t.time, raw: { from: f.raw, to: t.raw } } : rangeOf('now-7d', 'now');
}

function AuditEntries() {
  const styles = useStyles2(getStyles);
  const [view, setView] = useUrlParams(VIEW_DEFAULTS);
  // Parsed once per change of the URL: "now" read again on each render would change the query each time.
  const range = useMemo(() => rangeOf(view.from, view.to), [view.from, view.to]);
  const kinds = useMemo(
    () =>
      view.kind.split(',').flatMap((k) => {
        const kind = auditKindSchema.safeParse(k);
        return kind.success ? [kind.data] : [];
      }),
    [view.kind]
  );
  const { user, trigger: triggerId, action: actionId, target } = view;
  const cursor = view.cursor || undefined;
  const [exportError, setExportError] = useState<string>();

  const filter: AuditFilter = {
    from: range.from.valueOf(),
    to: range.to.valueOf(),
    kind: kinds,
    user: user.trim() || undefined,
    triggerId: triggerId.trim() || undefined,
    target: target.trim() || undefined,
    actionId: /^\d+$/.test(actionId.trim()) ? Number(actionId.trim()) : undefined,
  };
  const key = JSON.stringify({ ...filter, cursor });
  const entries = useBackendQuery(() => listAudit({ ...filter, limit: PAGE_SIZE, cursor }), key);
  // A new filter shows its newest page.
  const filtered = (patch: Partial<typeof VIEW_DEFAULTS>, change?: UrlParamsChange) =>
    setView({ ...patch, cursor: undefined }, change);

  const onExport = async (format: 'csv' | 'jsonl') => {
    setExportError(undefined);
    try {
      const text = await exportAudit(filter, format);
      downloadText(text, `failureprophet-audit.${format}`, format === 'csv' ? 'text/csv' : 'application/x-ndjson');
    } catch (err) {
      setExportError(messageOf(err));
    }
  };

  return (
    <Stack direction="column" gap={2}>
      <ListFilter
        label="Filter the log by target"
        placeholder="A target's id, as its page names it"
        value={target}
        onChange={(value) => filtered({ target: value }, TYPING)}
        count={entries.data ? counted(entries.data.total, 'entry', 'entries') : ''}
        testId={testIds.audit.target}
      />
      <div className={styles.filters}>
        <Field label="Time range">
          <TimeRangeInput
            value={range}
            onChange={(r) => filtered({ from: rawTime(r.raw.from), to: rawTime(r.raw.to) })}
            clearable={false}
          />
        </Field>
        <Field label="Outcome and event">
          <MultiCombobox
            id="fp-audit-kind"
            options={KIND_OPTIONS}
            value={kinds}
            onChange={(chosen) => filtered({ kind: chosen.map((o) => o.value).join(',') })}
            placeholder="Any"
          />
        </Field>
        <Field label="User">
          <Input id="fp-audit-user" value={user} onChange={(e) => filtered({ user: e.currentTarget.value }, TYPING)} />
        </Field>
        {/* Not a target: an anomaly trigger is recorded by the anomaly's number, an alert by its fingerprint. */}
        <Field label="Trigger id">
          <Input
            id="fp-audit-trigger"
            placeholder="An anomaly's number or an alert's fingerprint"
            value={triggerId}
            onChange={(e) => filtered({ trigger: e.currentTarget.value }, TYPING)}
          />
        </Field>
        <Field label="Action id" invalid={actionId !== '' && filter.actionId === undefined} error="A number">
          <Input
            id="fp-audit-action"
            value={actionId}
            onChange={(e) => filtered({ action: e.currentTarget.value }, TYPING)}
          />
        </Field>
      </div>
      <Stack gap={1}>
        <Button
          variant="secondary"
          icon="download-alt"
          onClick={() => onExport('csv')}
          data-testid={testIds.audit.exportCsv}
        >
          Export CSV
        </Button>
        <Button
          variant="secondary"
          icon="download-alt"
          onClick={() => onExport('jsonl')}
          data-testid={testIds.audit.exportJsonl}
        >
          Export JSON Lines
        </Button>
      </Stack>
      {exportError && (
        <Alert severity="error" title="Export failed">
          {exportError}
        </Alert>
      )}
      <QueryStatus query={entries} what="the audit log" />
      {entries.data && entries.data.items.length === 0 && (
        <div data-testid={testIds.audit.empty}>
          <EmptyState variant="not-found" message="No entries match these filters" />
        </div>
      )}
      {entries.data && entries.data.items.length > 0 && (
        <div data-testid={testIds.audit.table}>
          <InteractiveTable columns={AUDIT_COLUMNS} data={entries.data.items} getRowId={(e) => String(e.id)} />
        </div>
      )}
      <CursorPager
        label="Pages of the audit log"
        cursor={cursor}
        next={entries.data?.next}
        previous={entries.data?.previous}
        onNavigate={(c) => setView({ cursor: c })}
      />
    </Stack>
  );
}

const AUDIT_COLUMNS: Array<Column<AuditEntry>> = [
  { id: 'at', header: 'When', cell: ({ row: { original: e } }) => formatTime(e.at) },
  {
    id: 'kind',
    header: 'Event',
    cell: ({ row: { original: e } }) => <span title={AUDIT_KIND_MEANINGS[e.kind]}>{kindLabel(e.kind)}</span>,
  },
  { id: 'actionId', header: 'Action', cell: ({ row: { original: e } }) => e.actionId ?? '–' },
  { id: 'user', header: 'User', cell: ({ row: { original: e } }) => e.user ?? '–' },
  {
    id: 'message',
    header: 'What happened',
    cell: ({ row: { original: e } }) => `${e.message}${e.comment ? ` “${e.comment}”` : ''}`,
  },
];

const getStyles = (theme: GrafanaTheme2) => ({
  filters: css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(240px, 1fr))',
    columnGap: theme.spacing(2),
  }),
});
