import React from 'react';
import { Button, Stack, type IconName } from '@grafana/ui';
import { testIds } from '../../testIds';

/** The buttons' words: to the first page of the list, to the page before the one shown, to the page after it. */
export interface PagerWords {
  first: string;
  before: string;
  after: string;
}

/** The healing lists' words: their pages run from the newest rows to older ones. */
const NEWEST_FIRST: PagerWords = { first: 'Newest', before: 'Newer', after: 'Older' };

interface Props {
  /** The landmark's name, which list it pages ("Pages of the history"): a page may hold two pagers. */
  label: string;
  /** The page shown: its cursor (undefined: the first page). */
  cursor?: string;
  /** The page's own links: the cursor of the page after it and of the page before it (null or absent: none). */
  next?: string | null;
  previous?: string | null;
  /** Go to the page of that cursor (undefined: the first). */
  onNavigate: (cursor: string | undefined) => void;
  /** Its buttons' words, for a list in another order than newest first. */
  words?: PagerWords;
}

/**
 * The pages of a list that pages by cursor (the healing lists, newest first, and the models in the
 * order picked): a page is reached from its neighbour, not by number, so a page stays what it was
 * while new rows arrive, and reading far back costs the backend one page, not every row before it.
 */
export function CursorPager({ label, cursor, next, previous, onNavigate, words = NEWEST_FIRST }: Props) {
  if (cursor === undefined && !next) {
    return null;
  }
  // Each button: its label, icon, test id, and the page it opens (null: none, the button is disabled).
  const buttons: Array<[string, IconName, string, string | undefined | null]> = [
    [words.first, 'angle-double-left', testIds.pager.newest, cursor === undefined ? null : undefined],
    [words.before, 'angle-left', testIds.pager.newer, previous || null],
    [words.after, 'angle-right', testIds.pager.older, next || null],
  ];
  return (
    <nav aria-label={label}>
      <Stack gap={1}>
        {buttons.map(([label, icon, testId, to]) => (
          <Button
            key={testId}
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
