import React from 'react';
import { render, screen, within } from '@testing-library/react';
import type { Column } from '@grafana/ui';
import { AncestorAttributes, DataTable } from './DataTable';

interface Pod {
  name: string;
  restarts: number;
}

const columns: Array<Column<Pod>> = [
  { id: 'name', header: 'Pod' },
  { id: 'restarts', header: 'Restarts', cell: ({ row: { original: p } }) => `${p.restarts} restarts` },
];
const podId = (p: Pod) => p.name;
const podRow = (p: Pod) => ({ 'data-testid': `pod ${p.name}`, 'data-restarts': String(p.restarts) });

describe('DataTable', () => {
  it('renders a row a datum with the columns, the first cell with its value when it has no renderer', () => {
    render(<DataTable columns={columns} data={[{ name: 'cart-1', restarts: 0 }]} getRowId={podId} />);
    expect(screen.getAllByRole('columnheader').map((h) => h.textContent)).toEqual(['Pod', 'Restarts']);
    const [, row] = screen.getAllByRole('row');
    expect(
      within(row)
        .getAllByRole('cell')
        .map((c) => c.textContent)
    ).toEqual(['cart-1', '0 restarts']);
  });

  it("puts each row's attributes on its tr, and follows the data when it changes", () => {
    const { rerender } = render(
      <DataTable
        columns={columns}
        data={[
          { name: 'cart-1', restarts: 0 },
          { name: 'cart-2', restarts: 3 },
        ]}
        getRowId={podId}
        rowAttributes={podRow}
      />
    );
    const second = screen.getByTestId('pod cart-2');
    expect(second.tagName).toBe('TR');
    expect(second).toHaveAttribute('data-restarts', '3');
    expect(within(second).getByText('3 restarts')).toBeInTheDocument();

    rerender(
      <DataTable columns={columns} data={[{ name: 'cart-2', restarts: 4 }]} getRowId={podId} rowAttributes={podRow} />
    );
    expect(screen.getByTestId('pod cart-2')).toHaveAttribute('data-restarts', '4');
    expect(screen.queryByTestId('pod cart-1')).not.toBeInTheDocument();
  });
});

describe('AncestorAttributes', () => {
  it('sets the attributes on the nearest match and removes them when they change', () => {
    const tree = (attributes: Record<string, string>) => (
      <table>
        <thead>
          <tr>
            <th data-testid="header">
              <AncestorAttributes selector="th" attributes={attributes} />
              Score
            </th>
          </tr>
        </thead>
      </table>
    );
    const { rerender } = render(tree({ 'aria-sort': 'descending', title: 'sorted' }));
    expect(screen.getByTestId('header')).toHaveAttribute('aria-sort', 'descending');
    rerender(tree({ 'aria-sort': 'none' }));
    expect(screen.getByTestId('header')).toHaveAttribute('aria-sort', 'none');
    expect(screen.getByTestId('header')).not.toHaveAttribute('title');
  });
});
