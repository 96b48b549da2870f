import React from 'react';
import { render, screen } from '@testing-library/react';
import { testIds } from '../../testIds';
import { setupUser } from '../../testUtils/user';
import { connectionErrors, initialConnectionForm, type ConnectionForm } from './connectionForm';
import { BackendSection } from './BackendSection';

const user = setupUser();

function renderSection(form: ConnectionForm, touched: boolean) {
  const onChange = jest.fn();
  render(<BackendSection form={form} errors={connectionErrors(form)} touched={touched} onChange={onChange} />);
  return onChange;
}

describe('BackendSection', () => {
  it('keeps its reasons to itself until the admin has touched the form', () => {
    renderSection(initialConnectionForm({}, {}), false);
    expect(screen.queryByText('The backend URL is required')).not.toBeInTheDocument();
  });

  it('shows why the URL and the token cannot be saved once touched', () => {
    renderSection({ ...initialConnectionForm({}, {}), backendUrl: 'backend:3001' }, true);
    expect(screen.getByText('Use an http:// or https:// URL')).toBeInTheDocument();
    expect(screen.getByText('The backend token is required')).toBeInTheDocument();
  });

  it('hands on what is typed without surrounding blanks', async () => {
    const onChange = renderSection(initialConnectionForm({}, {}), false);
    await user.click(screen.getByTestId(testIds.appConfig.backendToken));
    await user.paste('  s3cret ');
    expect(onChange).toHaveBeenLastCalledWith({ backendToken: 's3cret' });
  });
});
