import React from 'react';
import { render, screen } from '@testing-library/react';
import { config } from '@grafana/runtime';
import { setupUser } from '../../testUtils/user';
import { healingPaths } from '../../api/healing';
import { installFakeBackendSrv, requestsTo } from '../../testUtils/fakeBackendSrv';
import { NamespacePauses } from './NamespacePauses';

const user = setupUser();

const signIn = (orgRole: string, isGrafanaAdmin = false) => {
  config.bootData.user = { ...config.bootData.user, orgRole, isGrafanaAdmin } as typeof config.bootData.user;
};

describe('NamespacePauses', () => {
  beforeEach(() => signIn('Admin'));

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

  it('refuses a namespace the backend would not save, saying why, and pauses one as the backend reads it', async () => {
    const fetch = installFakeBackendSrv({
      [`GET ${healingPaths.namespacePauses}`]: { data: { pauses: [{ namespace: 'web' }] } },
      [`PUT ${healingPaths.putNamespacePauses}`]: (req) => ({ data: { pauses: req.data.pauses } }),
    });
    render(<NamespacePauses />);
    const box = await screen.findByLabelText('Namespace to pause');
    const pause = () => screen.getByRole('button', { name: /Pause/ });

    await user.type(box, 'bad name!');
    expect(
      screen.getByText(
        '"bad name!" is not a namespace name: lower-case letters, digits and -, starting and ending with a letter or digit'
      )
    ).toBeInTheDocument();
    expect(pause()).toBeDisabled();
    await user.clear(box);
    await user.type(box, 'n'.repeat(64));
    expect(screen.getByText('A namespace name is at most 63 characters (this one has 64)')).toBeInTheDocument();
    expect(pause()).toBeDisabled();
    // Spaces and capitals are taken away, as the backend takes them: " Web" is the paused web.
    await user.clear(box);
    await user.type(box, ' Web');
    expect(screen.getByText('Already paused')).toBeInTheDocument();
    expect(pause()).toBeDisabled();
    await user.clear(box);
    await user.type(box, ' Shop ');
    await user.click(pause());
    expect(await screen.findByRole('button', { name: 'Resume shop' })).toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putNamespacePauses)).toHaveLength(1);
    expect(requestsTo(fetch, 'PUT', healingPaths.putNamespacePauses)[0].data.pauses).toEqual([
      { namespace: 'web' },
      { namespace: 'shop' },
    ]);
  });

  it('shows the error when the pauses cannot be read', async () => {
    installFakeBackendSrv({
      [`GET ${healingPaths.namespacePauses}`]: { status: 502, data: { message: 'connection refused' } },
    });
    render(<NamespacePauses />);
    expect(await screen.findByText('Cannot read the namespace pauses')).toBeInTheDocument();
  });

  it.each([
    ['an org Editor', 'Editor', false],
    ['a Grafana server admin whose org role is Viewer', 'Viewer', true],
  ])('shows %s the paused namespaces with Pause and Resume disabled, and why', async (_, orgRole, serverAdmin) => {
    signIn(orgRole, serverAdmin);
    const fetch = installFakeBackendSrv({
      [`GET ${healingPaths.namespacePauses}`]: {
        data: { pauses: [{ namespace: 'web', reason: 'upgrade', by: 'bob', at: 0 }] },
      },
    });
    render(<NamespacePauses />);
    expect(await screen.findByText('web')).toBeInTheDocument();
    expect(screen.getByText(/: upgrade \(by bob/)).toBeInTheDocument();
    const reason = `Only Admins of this organization can change this: your role in it is ${orgRole}. You can read it here.`;
    expect(screen.getByText(reason)).toBeVisible();
    const resume = screen.getByRole('button', { name: 'Resume web', description: reason });
    expect(resume).toBeDisabled();
    await user.click(resume);
    expect(screen.queryByRole('button', { name: /Pause/ })).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Namespace to pause')).not.toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', healingPaths.putNamespacePauses)).toHaveLength(0);
  });
});
