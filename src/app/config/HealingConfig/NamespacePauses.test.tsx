import React from 'react';
import { render, screen } from '@testing-library/react';
import { setupUser } from '../../testUtils/user';
import { healingPaths } from '../../api/healing';
import { installFakeBackendSrv, requestsTo } from '../../testUtils/fakeBackendSrv';
import { NamespacePauses } from './NamespacePauses';

const user = setupUser();

describe('NamespacePauses', () => {
  it('pauses a namespace with its reason, resumes it, and says when the backend refused', async () => {
    const fetch = installFakeBackendSrv({
      [`GET ${healingPaths.namespacePauses}`]: {
        data: { pauses: [{ namespace: 'web', reason: 'upgrade', by: 'bob', at: 0 }] },
      },
      [`PUT ${healingPaths.putNamespacePauses}`]: (req) => ({
        data: { pauses: req.data.pauses.map((p: object) => ({ ...p, by: 'admin', at: 0 })) },
      }),
    });
    render(<NamespacePauses />);
    expect(await screen.findByText('web')).toBeInTheDocument();

    await user.type(screen.getByLabelText('Namespace to pause'), 'shop');
    await user.type(screen.getByLabelText(/Why paused/), 'migration');
    await user.click(screen.getByRole('button', { name: /Pause/ }));
    expect(await screen.findByText('shop')).toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putNamespacePauses)[0].data).toEqual({
      pauses: [
        { namespace: 'web', reason: 'upgrade' },
        { namespace: 'shop', reason: 'migration' },
      ],
    });

    // A namespace already paused cannot be added twice.
    await user.type(screen.getByLabelText('Namespace to pause'), 'web');
    expect(screen.getByText('Already paused')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Pause/ })).toBeDisabled();
    await user.clear(screen.getByLabelText('Namespace to pause'));

    await user.click(screen.getByRole('button', { name: 'Resume web' }));
    expect(requestsTo(fetch, 'PUT', healingPaths.putNamespacePauses)[1].data).toEqual({
      pauses: [{ namespace: 'shop', reason: 'migration' }],
    });
    expect(await screen.findByRole('button', { name: 'Resume shop' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Resume web' })).not.toBeInTheDocument();
  });

  it('shows the error when the pauses cannot be read', async () => {
    installFakeBackendSrv({
      [`GET ${healingPaths.namespacePauses}`]: { status: 502, data: { message: 'connection refused' } },
    });
    render(<NamespacePauses />);
    expect(await screen.findByText('Cannot read the namespace pauses')).toBeInTheDocument();
  });
});
