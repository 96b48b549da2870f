import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { ListFilter } from './ListFilter';

const user = setupUser();

function Filtered() {
  const [value, setValue] = useState('');
  const rows = ['cart', 'checkout', 'search'].filter((r) => r.includes(value));
  return (
    <ListFilter
      label="Filter rows"
      placeholder="Filter by name"
      value={value}
      onChange={setValue}
      count={`${rows.length} of 3`}
    >
      <span>more filters</span>
    </ListFilter>
  );
}

describe('ListFilter', () => {
  it('hands each edit to its owner and shows the count and the other filters beside the field', async () => {
    render(<Filtered />);
    expect(screen.getByText('more filters')).toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: 'Filter rows' }), 'ch');
    expect(screen.getByRole('textbox', { name: 'Filter rows' })).toHaveValue('ch');
    expect(screen.getByText('2 of 3')).toBeInTheDocument();
  });
});
