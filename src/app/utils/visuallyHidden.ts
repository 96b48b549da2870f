import { css } from '@emotion/css';

/**
 * Text for screen readers only: out of sight, still in the accessibility tree (the usual
 * visually-hidden pattern; `clip-path` in place of the deprecated `clip`). @grafana/ui exports none.
 */
export const visuallyHidden = css({
  position: 'absolute',
  width: 1,
  height: 1,
  padding: 0,
  margin: -1,
  overflow: 'hidden',
  clipPath: 'inset(50%)',
  whiteSpace: 'nowrap',
  border: 0,
});
