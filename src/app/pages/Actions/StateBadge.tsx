import React from 'react';
import { Badge } from '@grafana/ui';
import type { ActionState } from '../../../contract/healing';
import { STATE_LABEL } from './format';

/** An action's state as the Actions page and a target's page show it. */
export function StateBadge({ state }: { state: ActionState }) {
  const { color, text } = STATE_LABEL[state];
  return <Badge color={color} text={text} />;
}
