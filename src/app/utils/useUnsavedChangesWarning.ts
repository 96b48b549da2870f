import { useEffect } from 'react';
import { locationService } from '@grafana/runtime';

export const UNSAVED_CHANGES_MESSAGE = 'You have unsaved changes. Leave this page and lose them?';

/**
 * Asks before leaving the page while there are unsaved changes: the browser's own dialog when the
 * tab closes or reloads, and a confirmation when Grafana navigates inside its single-page app,
 * which goes through locationService's history (v4) and so is blocked there, as Grafana's own
 * form prompt does. A blocker that answers itself works whatever confirmation the history was
 * built with (Grafana's browser history asks with window.confirm, a memory history never asks).
 */
export function useUnsavedChangesWarning(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) {
      return;
    }
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers need returnValue set to show the dialog.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    const unblock = locationService
      .getHistory()
      .block(() => (window.confirm(UNSAVED_CHANGES_MESSAGE) ? undefined : false));
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      unblock();
    };
  }, [dirty]);
}
