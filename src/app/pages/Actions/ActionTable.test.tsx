import React from 'react';
import { render, screen, within } from '@testing-library/react';
import type { Action } from '../../../contract/healing';
import { pendingAction } from '../../testUtils/fixtures';
import { actionColumns, ActionTable } from './ActionTable';

const { decidedBy, outcome, verification } = actionColumns;

function renderTable(actions: Action[]) {
  render(
    <ActionTable
      actions={actions}
      columns={[decidedBy, outcome, verification]}
      rowAttributes={(a) => ({ 'data-testid': `row-${a.id}` })}
    />
  );
  return (id: number) => within(screen.getByTestId(`row-${id}`));
}

describe('ActionTable', () => {
  it('says who decided: the last decision with its comment, "automatic" for the auto gate, else a dash', () => {
    const row = renderTable([
      pendingAction(1, {
        decisions: [
          { decision: 'rejected', user: 'bob', at: 1 },
          { decision: 'approved', user: 'ada', comment: 'go ahead', at: 2 },
        ],
      }),
      pendingAction(2, { gate: 'auto' }),
      pendingAction(3),
    ]);
    expect(row(1).getByText('ada: “go ahead”')).toBeInTheDocument();
    expect(row(1).queryByText(/bob/)).not.toBeInTheDocument();
    expect(row(2).getByText('automatic')).toBeInTheDocument();
    expect(row(3).getAllByText('–')).toHaveLength(2);
  });

  it('reads the outcome from the verification, else the result, else the reason; the verification says whether it recovered', () => {
    const result = { ok: true, summary: 'scaled deployment shop/cart from 3 to 4' };
    const row = renderTable([
      pendingAction(1, {
        state: 'verified',
        result,
        verification: { recovered: true, message: 'the score fell below the threshold', at: 3 },
      }),
      pendingAction(2, { state: 'succeeded', result, reason: { kind: 'storm', message: 'storm mode' } }),
      pendingAction(3, { state: 'blocked', reason: { kind: 'storm', message: 'storm mode' } }),
      pendingAction(4, {
        state: 'not_recovered',
        result,
        verification: { recovered: false, message: 'still alarming', at: 3 },
      }),
    ]);
    expect(row(1).getByText('the score fell below the threshold')).toBeInTheDocument();
    expect(row(1).getByText('Recovered: the score fell below the threshold')).toBeInTheDocument();
    expect(row(2).getByText('scaled deployment shop/cart from 3 to 4')).toBeInTheDocument();
    expect(row(3).getByText('storm mode')).toBeInTheDocument();
    expect(row(4).getByText('Not recovered: still alarming')).toBeInTheDocument();
  });
});
