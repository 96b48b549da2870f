import type { GrafanaTheme2 } from '@grafana/data';

/** The look of the app's plain data tables, from theme tokens; pass to `css()` with any extras. */
export const dataTableStyles = (theme: GrafanaTheme2) => ({
  width: '100%',
  borderCollapse: 'collapse' as const,
  'th, td': {
    padding: theme.spacing(1),
    textAlign: 'left' as const,
    borderBottom: `1px solid ${theme.colors.border.weak}`,
    verticalAlign: 'top' as const,
  },
  th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
});
