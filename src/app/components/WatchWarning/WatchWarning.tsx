import React from 'react';
import { Alert, Text } from '@grafana/ui';
import type { WatchStatus } from '../../../contract/pipeline';
import { formatTime } from '../../../utils/time';

/**
 * What the newest answer of a watch warns of (Prometheus' warnings and infos: a partial answer), as
 * Grafana shows a query's warnings beside its result: a note, not a failure. The watch goes on
 * scoring, from what the answers hold. Nothing when no answer warns.
 */
export function WatchWarning({ watch }: { watch: Pick<WatchStatus, 'name' | 'warning'> }) {
  const { warning } = watch;
  if (!warning) {
    return null;
  }
  return (
    <Alert severity="warning" title={`The answers to query ${warning.query} of watch ${watch.name} warn`}>
      <Text>{warning.message}</Text>{' '}
      <Text color="secondary">
        Its scores may come from partial data (last warned {formatTime(warning.at)}); the watch keeps scoring.
      </Text>
    </Alert>
  );
}
