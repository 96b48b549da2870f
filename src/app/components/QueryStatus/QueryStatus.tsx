import React from 'react';
import { Alert, LoadingPlaceholder } from '@grafana/ui';
import type { BackendQuery } from '../../api/useBackendQuery';

/**
 * Where a query's content goes, its first load and its failure: a placeholder until the first
 * answer (a refresh keeps the old content on screen), and the error while the last call failed.
 * `what` names the content ("the history").
 */
export function QueryStatus({ query, what }: { query: Omit<BackendQuery<unknown>, 'reload'>; what: string }) {
  return (
    <>
      {query.loading && !query.data && <LoadingPlaceholder text={`Loading ${what}…`} />}
      {query.error && (
        <Alert severity="error" title={`Cannot load ${what}`}>
          {query.error.message}
        </Alert>
      )}
    </>
  );
}

/**
 * What stands in for content that cannot show at all without its data: a placeholder while the
 * query runs, then its failure. The caller renders it while it has no data.
 */
export function Unloaded({
  query,
  loading,
  failed,
}: {
  query: Pick<BackendQuery<unknown>, 'loading' | 'error'>;
  /** The placeholder's text ("Reading the kill switch…"). */
  loading: string;
  /** The failure's title ("Cannot read the kill switch"). */
  failed: string;
}) {
  if (query.loading) {
    return <LoadingPlaceholder text={loading} />;
  }
  return (
    <Alert severity="error" title={failed}>
      {query.error?.message}
    </Alert>
  );
}
