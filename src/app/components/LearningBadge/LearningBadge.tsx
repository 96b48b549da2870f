import React from 'react';
import { Badge } from '@grafana/ui';
import { aboutDuration, type Target } from '../../../contract/pipeline';

/** What a target whose detector still learns the series' shapes calls meanwhile. */
const FAULTS_ONLY =
  'Gross faults open anomalies already: a value far beyond the range seen, a drop to zero, a series stuck flat or stopped. Other anomalies, once the detector has learned the shapes of this series.';

const LEARNING =
  'No anomaly is opened and no time to failure is given until the target has learned from this much of its series (replayed history counts).';

type Props = Pick<Target, 'learning' | 'learningProgress' | 'learningSecondsLeft' | 'faultsOnlySecondsLeft'> & {
  className?: string;
};

/**
 * How far a target's learning is: its learning period (nothing alarms), then, for a detector that
 * learns longer (failureprophet's ARTime), the time only gross faults alarm; nothing once it scores fully.
 */
export function LearningBadge({
  learning,
  learningProgress,
  learningSecondsLeft,
  faultsOnlySecondsLeft,
  className,
}: Props) {
  if (learning) {
    return (
      <Badge
        color="blue"
        text={`Learning ${Math.floor(100 * learningProgress)}% · ${aboutDuration(learningSecondsLeft)} left`}
        tooltip={LEARNING}
        className={className}
      />
    );
  }
  if (faultsOnlySecondsLeft > 0) {
    return (
      <Badge
        color="blue"
        icon="info-circle"
        text={`Learning shapes · ${aboutDuration(faultsOnlySecondsLeft)} left`}
        tooltip={FAULTS_ONLY}
        className={className}
      />
    );
  }
  return null;
}
