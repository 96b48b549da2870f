import React from 'react';
import { render, screen } from '@testing-library/react';
import { BackendError } from '../../api/backend';
import { QueryStatus, Unloaded } from './QueryStatus';

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

describe('Unloaded', () => {
  const texts = { loading: 'Reading the kill switch…', failed: 'Cannot read the kill switch' };

  it('is a placeholder while the query runs', () => {
    render(<Unloaded query={{ loading: true }} {...texts} />);
    expect(screen.getByText('Reading the kill switch…')).toBeInTheDocument();
    expect(screen.queryByText('Cannot read the kill switch')).not.toBeInTheDocument();
  });

  it('then says it could not read the data, and why', () => {
    render(<Unloaded query={{ loading: false, error: failed }} {...texts} />);
    expect(screen.getByText('Cannot read the kill switch')).toBeInTheDocument();
    expect(screen.getByText('the backend answered 503')).toBeInTheDocument();
    expect(screen.queryByText('Reading the kill switch…')).not.toBeInTheDocument();
  });
});
