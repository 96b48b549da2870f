import React from 'react';
import { Badge, InteractiveTable, type Column } from '@grafana/ui';
import type { Anomaly } from '../../../contract/pipeline';
import { FeedbackButtons } from '../../components/Feedback/FeedbackButtons';
import { testIds } from '../../testIds';
import { SEVERITY_COLOR } from './format';
import { formatTime } from '../../../utils/time';

/** Anomalies, newest first, each with what moved and the feedback buttons. */
export function AnomalyList({ anomalies }: { anomalies: Anomaly[] }) {
  return (
    <div data-testid={testIds.overview.anomalies}>
      <InteractiveTable columns={ANOMALY_COLUMNS} data={anomalies} getRowId={(a) => String(a.id)} />
    </div>
  );
}

const ANOMALY_COLUMNS: Array<Column<Anomaly>> = [
  {
    id: 'target',
    header: 'Target',
    cell: ({ row: { original: a } }) => (
      <>
        {a.target} {a.state === 'open' && <Badge color="red" text="Open" />}
      </>
    ),
  },
  { id: 'start', header: 'Started', cell: ({ row: { original: a } }) => formatTime(a.start) },
  {
    id: 'severity',
    header: 'Severity',
    cell: ({ row: { original: a } }) => (
      <Badge color={SEVERITY_COLOR[a.severity]} text={`${a.severity}, ${a.failureModel.replace('_', ' ')}`} />
    ),
  },
  { id: 'peakScore', header: 'Peak score', cell: ({ row: { original: a } }) => peakText(a) },
  {
    id: 'signals',
    header: 'What moved',
    cell: ({ row: { original: a } }) =>
      `${a.signals.join(', ')}${a.direction !== 'none' ? ` (${a.direction} the band)` : ''}`,
  },
  { id: 'feedback', header: 'Feedback', cell: ({ row: { original: a } }) => <FeedbackButtons anomaly={a} /> },
];

/** The peak score, and where it was reached when the backend recorded it: when, which signal, its value against the expected. */
function peakText(a: Anomaly): string {
  const score = a.peakScore.toFixed(2);
  if (!a.peak) {
    return score;
  }
  const { at, signal, value, expected } = a.peak;
  const against = expected === null ? '' : ` (expected ${expected.toPrecision(3)})`;
  return `${score} at ${formatTime(at)}: ${signal} ${value.toPrecision(3)}${against}`;
}
