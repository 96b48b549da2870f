import React, { useState } from 'react';
import { css } from '@emotion/css';
import { dateTime, type GrafanaTheme2, type TimeRange } from '@grafana/data';
import {
  Alert,
  Button,
  EmptyState,
  Field,
  Input,
  InteractiveTable,
  MultiSelect,
  Pagination,
  Stack,
  TimeRangeInput,
  useStyles2,
  type Column,
} from '@grafana/ui';
import { auditKindSchema, type AuditEntry, type AuditKind } from '../../../contract/healing';
import { exportAudit, listAudit, type AuditFilter } from '../../api/healing';
import { useBackendQuery } from '../../api/useBackendQuery';
import { BackendPage } from '../../components/BackendPage/BackendPage';
import { QueryStatus } from '../../components/QueryStatus/QueryStatus';
import { testIds } from '../../testIds';
import { downloadText } from '../../utils/download';
import { formatTime } from '../../../utils/time';
import { messageOf } from '../../api/fetchFailure';

const PAGE_SIZE = 50;
const KIND_OPTIONS = auditKindSchema.options.map((k) => ({ value: k, label: k.replace(/_/g, ' ') }));

export function AuditLog() {
  return (
    <BackendPage testId={testIds.audit.container}>
      <AuditEntries />
    </BackendPage>
  );
}

function defaultRange(): TimeRange {
  const to = dateTime();
  const from = dateTime().subtract(7, 'd');
  return { from, to, raw: { from: 'now-7d', to: 'now' } };
}

function AuditEntries() {
  const styles = useStyles2(getStyles);
  const [range, setRange] = useState<TimeRange>(defaultRange);
  const [kinds, setKinds] = useState<AuditKind[]>([]);
  const [user, setUser] = useState('');
  const [triggerId, setTriggerId] = useState('');
  const [actionId, setActionId] = useState('');
  const [page, setPage] = useState(1);
  const [exportError, setExportError] = useState<string>();

  const filter: AuditFilter = {
    from: range.from.valueOf(),
    to: range.to.valueOf(),
    kind: kinds,
    user: user.trim() || undefined,
    triggerId: triggerId.trim() || undefined,
    actionId: /^\d+$/.test(actionId.trim()) ? Number(actionId.trim()) : undefined,
  };
  const key = JSON.stringify({ ...filter, page });
  const entries = useBackendQuery(
    () => listAudit({ ...filter, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    key
  );
  const pages = Math.max(1, Math.ceil((entries.data?.total ?? 0) / PAGE_SIZE));
  const filtered =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      setPage(1);
      set(v);
    };

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
      <div className={styles.filters}>
        <Field label="Time range">
          <TimeRangeInput value={range} onChange={filtered(setRange)} clearable={false} />
        </Field>
        <Field label="Outcome and event">
          <MultiSelect
            inputId="fp-audit-kind"
            options={KIND_OPTIONS}
            value={kinds}
            onChange={(v) => filtered(setKinds)(v.map((o) => o.value!))}
            placeholder="Any"
          />
        </Field>
        <Field label="User">
          <Input id="fp-audit-user" value={user} onChange={(e) => filtered(setUser)(e.currentTarget.value)} />
        </Field>
        <Field label="Target (trigger id)">
          <Input
            id="fp-audit-trigger"
            value={triggerId}
            onChange={(e) => filtered(setTriggerId)(e.currentTarget.value)}
          />
        </Field>
        <Field label="Action id" invalid={actionId !== '' && filter.actionId === undefined} error="A number">
          <Input id="fp-audit-action" value={actionId} onChange={(e) => filtered(setActionId)(e.currentTarget.value)} />
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
      {pages > 1 && <Pagination currentPage={page} numberOfPages={pages} onNavigate={setPage} />}
    </Stack>
  );
}

const AUDIT_COLUMNS: Array<Column<AuditEntry>> = [
  { id: 'at', header: 'When', cell: ({ row: { original: e } }) => formatTime(e.at) },
  { id: 'kind', header: 'Event', cell: ({ row: { original: e } }) => e.kind.replace(/_/g, ' ') },
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
