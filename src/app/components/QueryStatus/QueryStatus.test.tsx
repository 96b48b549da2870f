import React from 'react';
import { render, screen } from '@testing-library/react';
import { BackendError } from '../../api/backend';
import { QueryStatus } from './QueryStatus';

const failed = new BackendError('the backend answered 503', 503);

describe('QueryStatus', () => {
  it('shows a placeholder until the first answer, and nothing once there is one, even while a refresh runs', () => {
    const { rerender } = render(<QueryStatus query={{ loading: true }} what="the history" />);
    expect(screen.getByText('Loading the history…')).toBeInTheDocument();
    rerender(<QueryStatus query={{ loading: true, data: { items: [] } }} what="the history" />);
    expect(screen.queryByText('Loading the history…')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('says what could not be loaded and why, with or without an older answer on screen', () => {
    const { rerender } = render(<QueryStatus query={{ loading: false, error: failed }} what="the audit log" />);
    expect(screen.getByText('Cannot load the audit log')).toBeInTheDocument();
    expect(screen.getByText('the backend answered 503')).toBeInTheDocument();
    rerender(<QueryStatus query={{ loading: false, data: [], error: failed }} what="the audit log" />);
    expect(screen.getByText('Cannot load the audit log')).toBeInTheDocument();
    expect(screen.queryByText('Loading the audit log…')).not.toBeInTheDocument();
  });
});
