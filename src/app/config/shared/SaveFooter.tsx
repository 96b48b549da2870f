import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Stack, useStyles2 } from '@grafana/ui';

export interface SaveFooterProps {
  ids: { save: string; saveSuccess: string; saveError: string; invalid: string; unsaved: string };
  result?: { ok: boolean; message: string };
  /** The error alert's title. */
  failedTitle: string;
  /** How many items have invalid fields, and what an item is: ["watch", "watches"]. */
  invalidCount: number;
  invalidNoun: [one: string, many: string];
  saveLabel: string;
  saving: boolean;
  /** Another request is running: no save. */
  busy: boolean;
  dirty: boolean;
  onSave: () => void;
  /** Buttons after the save button. */
  children?: React.ReactNode;
}

/** The config tabs' footer: the last save's outcome, why saving is disabled, the save button, unsaved changes. */
export function SaveFooter(props: SaveFooterProps) {
  const { ids, result, invalidCount, saving } = props;
  const styles = useStyles2(getStyles);
  const [one, many] = props.invalidNoun;
  return (
    <div className={styles.footer}>
      {result && (
        <Alert
          severity={result.ok ? 'success' : 'error'}
          title={result.ok ? 'Saved' : props.failedTitle}
          data-testid={result.ok ? ids.saveSuccess : ids.saveError}
        >
          {result.message}
        </Alert>
      )}
      {invalidCount > 0 && (
        <Alert severity="warning" title="Fix the fields marked in red to save" data-testid={ids.invalid}>
          {invalidCount} {invalidCount === 1 ? `${one} has` : `${many} have`} invalid values; the reason is shown next
          to each field.
        </Alert>
      )}
      <Stack alignItems="center" gap={2}>
        <Button
          onClick={props.onSave}
          disabled={props.busy || !props.dirty || invalidCount > 0}
          icon={saving ? 'spinner' : 'save'}
          data-testid={ids.save}
        >
          {saving ? 'Saving…' : props.saveLabel}
        </Button>
        {props.children}
        {props.dirty && (
          <span className={styles.unsaved} data-testid={ids.unsaved}>
            You have unsaved changes
          </span>
        )}
      </Stack>
    </div>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  // In the flow at the end of the form, not sticky: a sticky footer covered the fields it scrolled over.
  footer: css({
    marginTop: theme.spacing(2),
    padding: theme.spacing(2, 0),
    background: theme.colors.background.primary,
    borderTop: `1px solid ${theme.colors.border.weak}`,
  }),
  unsaved: css({
    color: theme.colors.warning.text,
  }),
});
