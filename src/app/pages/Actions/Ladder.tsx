import React from 'react';
import { Text } from '@grafana/ui';
import type { Action } from '../../../contract/healing';
import { testIds } from '../../testIds';
import { STATE_LABEL } from './format';

/** Where an action stands in its policy's escalation ladder, and what came before it. */
export function LadderHistory({ action }: { action: Action }) {
  const ladder = action.ladder;
  if (!ladder) {
    return null;
  }
  return (
    <Text color="secondary" element="p" data-testid={testIds.actions.ladder(action.id)}>
      Step {ladder.step} of {ladder.steps} of the ladder of policy <strong>{ladder.policy}</strong>
      {ladder.previous.length > 0 &&
        ` · after ${ladder.previous
          .map((p) => `#${p.actionId} ${p.type} (${STATE_LABEL[p.state].text.toLowerCase()}: ${p.outcome})`)
          .join(', ')}`}
    </Text>
  );
}
