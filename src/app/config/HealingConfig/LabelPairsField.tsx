import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Button, Field, FieldValidationMessage, IconButton, Input, Text, useStyles2 } from '@grafana/ui';
import {
  labelPairProblems,
  labelsOfPairs,
  type LabelPair,
  type LabelPairProblems,
  type MatchedLabels,
} from '../../utils/validation';
import { useReportFieldState } from '../shared/typedWords';

interface LabelPairsFieldProps {
  label: string;
  description: string;
  /** The prefix of its elements' ids. */
  id: string;
  labels: Record<string, string> | undefined;
  set: (labels: Record<string, string> | undefined) => void;
  matched: MatchedLabels;
  /** The form's reason for the field (the PUT's rules), shown while no row has one of its own. */
  error?: string;
}

interface Row extends LabelPair {
  /** Stable while the row is edited, so its inputs keep the focus. */
  id: number;
}

let nextRow = 0;
const rowsOf = (labels: Record<string, string> | undefined): Row[] =>
  Object.entries(labels ?? {}).map(([key, value]) => ({ id: ++nextRow, key, value }));

/**
 * A policy's label matchers as Grafana's alerting edits them: a name field, "=", a value field, a row
 * each. A name or value is kept exactly as typed, so a stored one comes back as it was whatever else
 * is edited, and nothing is added when a field loses focus, so no press on Save is moved by it. The rows
 * are the field's own from its first render: the form remounts a policy's editor when it replaces it.
 */
export function LabelPairsField({ label, description, id, labels, set, matched, error }: LabelPairsFieldProps) {
  const styles = useStyles2(getStyles);
  const [rows, setRows] = useState(() => rowsOf(labels));
  // The row the button added, whose name takes the focus as it appears.
  const [added, setAdded] = useState<number>();
  const problems = labelPairProblems(rows, matched);
  const refused = problems.some((p) => p.key !== undefined || p.value !== undefined);
  useReportFieldState({ typed: false, refused });

  const change = (next: Row[]) => {
    setRows(next);
    set(labelsOfPairs(next));
  };
  const edit = (at: number, patch: Partial<LabelPair>) =>
    change(rows.map((row, i) => (i === at ? { ...row, ...patch } : row)));

  return (
    <Field label={label} description={description}>
      <div role="group" aria-label={label} className={styles.rows}>
        {rows.map((row, i) => (
          <PairRow
            key={row.id}
            id={`${id}-${row.id}`}
            number={i + 1}
            row={row}
            added={row.id === added}
            problems={problems[i]}
            onEdit={(patch) => edit(i, patch)}
            onRemove={() => change(rows.filter((_, j) => j !== i))}
          />
        ))}
        {!refused && error !== undefined && <FieldValidationMessage>{error}</FieldValidationMessage>}
        <div>
          <Button
            variant="secondary"
            size="sm"
            icon="plus"
            onClick={() => {
              const row = { id: ++nextRow, key: '', value: '' };
              setAdded(row.id);
              setRows([...rows, row]);
            }}
          >
            Add label
          </Button>
        </div>
      </div>
    </Field>
  );
}

interface PairRowProps {
  id: string;
  number: number;
  row: LabelPair;
  added: boolean;
  problems: LabelPairProblems;
  onEdit: (patch: Partial<LabelPair>) => void;
  onRemove: () => void;
}

function PairRow({ id, number, row, added, problems, onEdit, onRemove }: PairRowProps) {
  const styles = useStyles2(getStyles);
  const problemId = (part: keyof LabelPair) => (problems[part] === undefined ? undefined : `${id}-${part}-problem`);
  // Spaces at either end are part of a Prometheus value and match only a value that has them too: say so.
  const spaced = problems.value === undefined && row.value !== row.value.trim();
  return (
    <div>
      <div className={styles.row}>
        <Input
          id={`${id}-key`}
          aria-label={`Label ${number} name`}
          placeholder="name"
          autoFocus={added}
          value={row.key}
          invalid={problems.key !== undefined}
          aria-invalid={problems.key !== undefined}
          aria-describedby={problemId('key')}
          onChange={(e) => onEdit({ key: e.currentTarget.value })}
        />
        <span aria-hidden className={styles.equals}>
          =
        </span>
        <Input
          id={`${id}-value`}
          aria-label={`Label ${number} value`}
          placeholder="value"
          value={row.value}
          invalid={problems.value !== undefined}
          aria-invalid={problems.value !== undefined}
          aria-describedby={problemId('value') ?? (spaced ? `${id}-spaced` : undefined)}
          onChange={(e) => onEdit({ value: e.currentTarget.value })}
        />
        <IconButton name="trash-alt" tooltip={`Remove label ${row.key === '' ? number : row.key}`} onClick={onRemove} />
      </div>
      {(['key', 'value'] as const).map(
        (part) =>
          problems[part] !== undefined && (
            <div key={part} id={problemId(part)}>
              <FieldValidationMessage>{problems[part]}</FieldValidationMessage>
            </div>
          )
      )}
      {spaced && (
        <Text id={`${id}-spaced`} element="p" variant="bodySmall" color="secondary">
          The value begins or ends with a space, which the label&apos;s value must too.
        </Text>
      )}
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  rows: css({
    display: 'flex',
    flexDirection: 'column',
    gap: theme.spacing(1),
  }),
  row: css({
    display: 'grid',
    gridTemplateColumns: '1fr auto 1fr auto',
    gap: theme.spacing(1),
    alignItems: 'center',
  }),
  equals: css({
    color: theme.colors.text.secondary,
  }),
});
