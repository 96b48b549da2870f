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
