import React from 'react';
import { Button, Stack } from '@grafana/ui';
import { testIds } from '../../testIds';

interface Props {
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
export function CursorPager({ cursor, next, previous, onNavigate }: Props) {
  if (cursor === undefined && !next) {
    return null;
  }
  return (
    <nav aria-label="Pages">
      <Stack gap={1}>
        <Button
          variant="secondary"
          size="sm"
          icon="angle-double-left"
          disabled={cursor === undefined}
          onClick={() => onNavigate(undefined)}
          data-testid={testIds.pager.newest}
        >
          Newest
        </Button>
        <Button
          variant="secondary"
          size="sm"
          icon="angle-left"
          disabled={!previous}
          onClick={() => previous && onNavigate(previous)}
          data-testid={testIds.pager.newer}
        >
          Newer
        </Button>
        <Button
          variant="secondary"
          size="sm"
          icon="angle-right"
          disabled={!next}
          onClick={() => next && onNavigate(next)}
          data-testid={testIds.pager.older}
        >
          Older
        </Button>
      </Stack>
    </nav>
  );
}
