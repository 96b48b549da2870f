import { createElement, useEffect, useSyncExternalStore, type ReactElement } from 'react';
import { locationService } from '@grafana/runtime';
import { ConfirmModal } from '@grafana/ui';

export const UNSAVED_CHANGES_MESSAGE = 'You have unsaved changes. Leave this page and lose them?';

/**
 * What locationService's history (history v4) passes its blocker: where the navigation goes and how.
 * history ships no types of its own, so @grafana/runtime's History type says nothing of them here.
 */
interface HistoryLocation {
  pathname: string;
  search: string;
  hash: string;
  state?: unknown;
}
type HistoryAction = 'PUSH' | 'POP' | 'REPLACE';

/** A navigation inside Grafana held back until the user answers; `leave` lets it through. */
interface BlockedNavigation {
  leave: () => void;
  /** The blocker that held it back: only that one's cleanup drops it. */
  owner: object;
}

// The navigation waiting for an answer, shared by the hook that blocks it and the modal that asks.
// A history holds one blocker at a time, so one pending navigation is all there can be.
let blocked: BlockedNavigation | undefined;
const askers = new Set<() => void>();

function setBlocked(next: BlockedNavigation | undefined) {
  blocked = next;
  askers.forEach((notify) => notify());
}

function subscribe(notify: () => void) {
  askers.add(notify);
  return () => {
    askers.delete(notify);
  };
}

/**
 * Asks before leaving the page while there are unsaved changes: the browser's own dialog when the
 * tab closes or reloads (browsers allow no other there), and Grafana's ConfirmModal, shown by
 * {@link UnsavedChangesModal}, when Grafana navigates inside its single-page app. That navigation
 * goes through locationService's history (v4), whose blocker holds it back until the user answers
 * in the modal; "Leave" then replays it. A page that renders no UnsavedChangesModal has nothing to
 * ask with, so its navigation is let through rather than stopped without a word.
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
    const history = locationService.getHistory();
    let leaving = false;
    const owner = {};
    const unblock = history.block((location: HistoryLocation, action: HistoryAction) => {
      if (leaving || askers.size === 0) {
        leaving = false;
        return undefined;
      }
      setBlocked({
        owner,
        leave: () => {
          leaving = true;
          if (action === 'REPLACE') {
            history.replace(location);
          } else {
            // A blocked back/forward (POP) is replayed as a push, as Grafana's own form prompt does.
            history.push(location);
          }
        },
      });
      return false;
    });
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      unblock();
      if (blocked?.owner === owner) {
        setBlocked(undefined);
      }
    };
  }, [dirty]);
}

/**
 * The question {@link useUnsavedChangesWarning} asks before an in-app navigation: render it once on
 * a page that uses the hook. "Leave" goes where the user was going; "Stay" keeps the page as it is.
 * Render it outside any <form>: the modal confirms with a form of its own, whose submit event
 * would reach an enclosing form through the portal (React events follow the component tree).
 */
export function UnsavedChangesModal(): ReactElement {
  const current = useSyncExternalStore(subscribe, () => blocked);
  return createElement(ConfirmModal, {
    isOpen: current !== undefined,
    title: 'Unsaved changes',
    body: UNSAVED_CHANGES_MESSAGE,
    confirmText: 'Leave',
    confirmVariant: 'destructive',
    dismissText: 'Stay',
    onConfirm: () => {
      setBlocked(undefined);
      current?.leave();
    },
    onDismiss: () => setBlocked(undefined),
  });
}
