import React from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { EditorCard } from './EditorCard';

const user = setupUser();

function renderCard(index: number, move?: { count: number }) {
  const onMove = jest.fn();
  const onDelete = jest.fn();
  render(
    <EditorCard
      kind="Watch"
      title="cpu"
      heading={<h4>1. cpu</h4>}
      testId="card-0"
      index={index}
      move={move && { count: move.count, onMove }}
      onDelete={onDelete}
    >
      <p>the fields</p>
    </EditorCard>
  );
  return { onMove, onDelete };
}

describe('EditorCard', () => {
  it('is a region named by its kind and title, holding its heading and fields', () => {
    renderCard(0);
    const card = screen.getByRole('region', { name: 'Watch cpu' });
    expect(card).toHaveAttribute('data-testid', 'card-0');
    expect(card).toHaveTextContent('1. cpu');
    expect(card).toHaveTextContent('the fields');
  });

  it('deletes, and offers no moves where the order means nothing', async () => {
    const { onDelete } = renderCard(0);
    expect(screen.queryByLabelText('Move cpu up')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Move cpu down')).not.toBeInTheDocument();
    await user.click(screen.getByLabelText('Delete cpu'));
    expect(onDelete).toHaveBeenCalledTimes(1);
  });

  it('cannot move the first item up, and moves it down by one', async () => {
    const { onMove } = renderCard(0, { count: 3 });
    expect(screen.getByLabelText('Move cpu up')).toBeDisabled();
    await user.click(screen.getByLabelText('Move cpu down'));
    expect(onMove).toHaveBeenCalledWith(1);
  });

  it('cannot move the last item down, and moves it up by one', async () => {
    const { onMove } = renderCard(2, { count: 3 });
    expect(screen.getByLabelText('Move cpu down')).toBeDisabled();
    await user.click(screen.getByLabelText('Move cpu up'));
    expect(onMove).toHaveBeenCalledWith(-1);
    expect(onMove).toHaveBeenCalledTimes(1);
  });
});
