import { config } from '@grafana/runtime';
import { canEdit, isAdmin } from './permissions';

/** Boot data as Grafana sends it: the role is text, which a newer Grafana may fill with a role this build does not know. */
const signIn = (user: { orgRole: string; isGrafanaAdmin?: boolean }) => {
  Object.assign(config.bootData.user, { isGrafanaAdmin: false, ...user });
};

describe('permissions', () => {
  it.each([
    ['Viewer', false, false],
    ['Editor', true, false],
    ['Admin', true, true],
    ['None', false, false],
  ])('an org %s may edit: %s, administer: %s', (orgRole, edit, admin) => {
    signIn({ orgRole });
    expect(canEdit()).toBe(edit);
    expect(isAdmin()).toBe(admin);
  });

  it('takes a role it does not know for no role, and a Grafana admin for an admin', () => {
    signIn({ orgRole: 'Owner' });
    expect(canEdit()).toBe(false);
    signIn({ orgRole: 'Owner', isGrafanaAdmin: true });
    expect(canEdit()).toBe(true);
    expect(isAdmin()).toBe(true);
  });
});
