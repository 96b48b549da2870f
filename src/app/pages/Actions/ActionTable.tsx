import React from 'react';
import { Text, type Column } from '@grafana/ui';
import { reasonText, type Action } from '../../../contract/healing';
import { formatTime } from '../../../utils/time';
import { DataTable, type ElementAttributes } from '../../components/DataTable/DataTable';
import { describeAction, triggerText } from './format';
import { LadderHistory } from './Ladder';
import { StateBadge } from './StateBadge';

const actionId = (a: Action) => String(a.id);

/** Who decided: the last decision with its comment, "automatic" for the auto gate, else a dash. */
function decidedBy(action: Action): string {
  const decision = action.decisions[action.decisions.length - 1];
  if (decision) {
    return `${decision.user}${decision.comment ? `: “${decision.comment}”` : ''}`;
  }
  return action.gate === 'auto' ? 'automatic' : '–';
}

/**
 * The columns the action tables choose from (the Actions page's history and a target's actions), so
 * that a column reads the same wherever it is shown.
 */
export const actionColumns = {
  updated: { id: 'updated', header: 'When', cell: ({ row: { original: a } }) => formatTime(a.updatedAt) },
  created: { id: 'created', header: 'When', cell: ({ row: { original: a } }) => formatTime(a.createdAt) },
  action: {
    id: 'action',
    header: 'Action',
    cell: ({ row: { original: a } }) => describeAction(a.action, a.target),
  },
  actionWithLadder: {
    id: 'action',
    header: 'Action',
    cell: ({ row: { original: a } }) => (
      <>
        {describeAction(a.action, a.target)}
        <LadderHistory action={a} />
      </>
    ),
  },
  trigger: { id: 'trigger', header: 'Trigger', cell: ({ row: { original: a } }) => triggerText(a) },
  policy: { id: 'policy', header: 'Policy', cell: ({ row: { original: a } }) => a.policy },
  state: { id: 'state', header: 'State', cell: ({ row: { original: a } }) => <StateBadge state={a.state} /> },
  stateWithReason: {
    id: 'state',
    header: 'State',
    cell: ({ row: { original: a } }) => (
      <>
        <StateBadge state={a.state} />
        {a.reason && <Text color="secondary"> {reasonText(a.reason, formatTime)}</Text>}
      </>
    ),
  },
  decidedBy: { id: 'decidedBy', header: 'Decided by', cell: ({ row: { original: a } }) => decidedBy(a) },
  outcome: {
    id: 'outcome',
    header: 'Outcome',
    cell: ({ row: { original: a } }) =>
      a.verification?.message ?? a.result?.summary ?? (a.reason ? reasonText(a.reason, formatTime) : ''),
  },
  verification: {
    id: 'verification',
    header: 'Verification',
    cell: ({ row: { original: a } }) =>
      a.verification ? `${a.verification.recovered ? 'Recovered' : 'Not recovered'}: ${a.verification.message}` : '–',
  },
} satisfies Record<string, Column<Action>>;

/** Actions as rows of the columns chosen from `actionColumns`; `rowAttributes` names each row. */
export function ActionTable({
  actions,
  ...table
}: {
  actions: Action[];
  columns: Array<Column<Action>>;
  rowAttributes: (a: Action) => ElementAttributes;
  className?: string;
}) {
  return <DataTable {...table} data={actions} getRowId={actionId} />;
}
