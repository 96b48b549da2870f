import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { IconButton, Stack, useStyles2 } from '@grafana/ui';

export interface EditorCardProps {
  /** What one item is, for the section's accessible name: "Watch", "Policy". */
  kind: string;
  /** The item's name, in the accessible name and the buttons' tooltips. */
  title: string;
  /** Left of the buttons. */
  heading: React.ReactNode;
  testId: string;
  index: number;
  /** Up and down buttons, where the list's order means something. */
  move?: { count: number; onMove: (by: -1 | 1) => void };
  onDelete: () => void;
  children: React.ReactNode;
}

/** One item of an editable list in the config tabs: a card with its heading, move and delete buttons. */
export function EditorCard({ kind, title, heading, testId, index, move, onDelete, children }: EditorCardProps) {
  const styles = useStyles2(getStyles);
  return (
    <section className={styles.card} aria-label={`${kind} ${title}`} data-testid={testId}>
      <div className={styles.header}>
        {heading}
        <Stack gap={0.5}>
          {move && (
            <>
              <IconButton
                name="arrow-up"
                tooltip={`Move ${title} up`}
                disabled={index === 0}
                onClick={() => move.onMove(-1)}
              />
              <IconButton
                name="arrow-down"
                tooltip={`Move ${title} down`}
                disabled={index === move.count - 1}
                onClick={() => move.onMove(1)}
              />
            </>
          )}
          <IconButton name="trash-alt" tooltip={`Delete ${title}`} variant="destructive" onClick={onDelete} />
        </Stack>
      </div>
      {children}
    </section>
  );
}

/** The editors' fields, as many to a row as fit. */
export const fieldGrid = (theme: GrafanaTheme2) =>
  css({
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))',
    columnGap: theme.spacing(2),
  });

/** A sub-item inside a card (a ladder step, an automatic window): set off by a rule on its left. */
export const nestedItem = (theme: GrafanaTheme2, gapBelow: number) =>
  css({
    borderLeft: `3px solid ${theme.colors.border.medium}`,
    paddingLeft: theme.spacing(2),
    marginBottom: theme.spacing(gapBelow),
  });

const getStyles = (theme: GrafanaTheme2) => ({
  card: css({
    border: `1px solid ${theme.colors.border.weak}`,
    borderRadius: theme.shape.radius.default,
    padding: theme.spacing(2),
    marginBottom: theme.spacing(2),
    background: theme.colors.background.secondary,
  }),
  header: css({
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'center',
    marginBottom: theme.spacing(1),
  }),
});
