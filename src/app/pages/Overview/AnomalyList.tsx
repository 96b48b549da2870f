import React from 'react';
import { css } from '@emotion/css';
import { type GrafanaTheme2 } from '@grafana/data';
import { Badge, useStyles2 } from '@grafana/ui';
import type { Anomaly } from '../../../contract/pipeline';
import { FeedbackButtons } from '../../components/Feedback/FeedbackButtons';
import { testIds } from '../../testIds';
import { SEVERITY_COLOR } from './format';
import { dataTableStyles } from '../../../utils/tableStyles';
import { formatTime } from '../../../utils/time';

/** Anomalies, newest first, each with what moved and the feedback buttons. */
export function AnomalyList({ anomalies }: { anomalies: Anomaly[] }) {
  const styles = useStyles2(getStyles);
  return (
    <table className={styles.table} data-testid={testIds.overview.anomalies}>
      <thead>
        <tr>
          <th scope="col">Target</th>
          <th scope="col">Started</th>
          <th scope="col">Severity</th>
          <th scope="col">Peak score</th>
          <th scope="col">What moved</th>
          <th scope="col">Feedback</th>
        </tr>
      </thead>
      <tbody>
        {anomalies.map((a) => (
          <tr key={a.id}>
            <td>
              {a.target} {a.state === 'open' && <Badge color="red" text="Open" />}
            </td>
            <td>{formatTime(a.start)}</td>
            <td>
              <Badge color={SEVERITY_COLOR[a.severity]} text={`${a.severity}, ${a.failureModel.replace('_', ' ')}`} />
            </td>
            <td>{a.peakScore.toFixed(2)}</td>
            <td>
              {a.signals.join(', ')}
              {a.direction !== 'none' && ` (${a.direction} the band)`}
            </td>
            <td>
              <FeedbackButtons anomaly={a} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const getStyles = (theme: GrafanaTheme2) => ({
  table: css(dataTableStyles(theme)),
});
