import React from 'react';
import { Button, Stack, type IconName } from '@grafana/ui';
import { testIds } from '../../testIds';

interface Props {
  /** The landmark's name, which list it pages ("Pages of the history"): a page may hold two pagers. */
  label: string;
  /** The page shown: its cursor (undefined: the newest page). */
  cursor?: string;
  /** The page's own links: the cursor of the older page and of the newer one (null or absent: none). */
  next?: string | null;
  previous?: string | null;
  /** Go to the page of that cursor (undefined: the newest). */
  onNavigate: (cursor: string | undefined) => void;
}

/**
 * Newer and older pages of a list newest first that pages by cursor (the healing lists): a page is
 * reached from its neighbour, not by number, so a page stays what it was while new rows arrive, and
 * reading far back costs the backend one page, not every row before it.
 */
export function CursorPager({ label, cursor, next, previous, onNavigate }: Props) {
  if (cursor === undefined && !next) {
    return null;
  }
  // Each button: its label, icon, test id, and the page it opens (null: none, the button is disabled).
  const buttons: Array<[string, IconName, string, string | undefined | null]> = [
    ['Newest', 'angle-double-left', testIds.pager.newest, cursor === undefined ? null : undefined],
    ['Newer', 'angle-left', testIds.pager.newer, previous || null],
    ['Older', 'angle-right', testIds.pager.older, next || null],
  ];
  return (
    <nav aria-label={label}>
      <Stack gap={1}>
        {buttons.map(([label, icon, testId, to]) => (
          <Button
            key={label}
            variant="secondary"
            size="sm"
            icon={icon}
            disabled={to === null}
            onClick={() => to !== null && onNavigate(to)}
            data-testid={testId}
          >
            {label}
          </Button>
        ))}
      </Stack>
    </nav>
  );
}
