import React from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { Alert, Button, Stack, useStyles2 } from '@grafana/ui';
import { DisabledReason, useDisabledReason } from '../../components/DisabledReason/DisabledReason';
import type { SaveState } from './useSaveForm';

/** What a tab's footer says: the error alert's title, what an item is (["watch", "watches"]), the button. */
export interface SaveFooterText {
  failedTitle: string;
  invalidNoun: [one: string, many: string];
  saveLabel: string;
}

export interface SaveFooterProps {
  ids: { save: string; saveSuccess: string; saveError: string; invalid: string; unsaved: string };
  text: SaveFooterText;
  form: SaveState;
  onSave: () => void;
  /** Buttons after the save button. */
  children?: React.ReactNode;
  /** Why this user cannot save (their role): shown above the buttons, which it disables and describes. */
  readOnlyReason?: string;
}

/** The config tabs' footer: the last save's outcome, why saving is disabled, the save button, unsaved changes. */
export function SaveFooter(props: SaveFooterProps) {
  const { ids, text } = props;
  const { result, invalidCount, dirty } = props.form;
  const saving = props.form.busy === 'saving';
  const styles = useStyles2(getStyles);
  const [one, many] = text.invalidNoun;
  const readOnly = useDisabledReason(props.readOnlyReason);
  return (
    <div className={styles.footer}>
      {result && (
        <Alert
          severity={result.ok ? 'success' : 'error'}
          title={result.ok ? 'Saved' : text.failedTitle}
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
      <DisabledReason of={readOnly} element="p" />
      {/* A disabled fieldset disables every button of the footer, the caller's (children) too. */}
      <fieldset disabled={readOnly.disabled} aria-describedby={readOnly.describedBy} className={styles.plain}>
        <Stack alignItems="center" gap={2}>
          <Button
            onClick={props.onSave}
            disabled={props.form.busy !== undefined || !dirty || invalidCount > 0}
            icon={saving ? 'spinner' : 'save'}
            data-testid={ids.save}
          >
            {saving ? 'Saving…' : text.saveLabel}
          </Button>
          {props.children}
          {dirty && (
            <span className={styles.unsaved} data-testid={ids.unsaved}>
              You have unsaved changes
            </span>
          )}
        </Stack>
      </fieldset>
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
  plain: css({ border: 0, margin: 0, padding: 0, minWidth: 0 }),
});
