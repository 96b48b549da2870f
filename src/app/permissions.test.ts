import { config } from '@grafana/runtime';
import { adminOnlyReason, canEdit, isAdmin } from './permissions';

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

  it('takes a role it does not know for no role', () => {
    signIn({ orgRole: 'Owner' });
    expect(canEdit()).toBe(false);
    expect(isAdmin()).toBe(false);
  });

  // Grafana's plugin proxy checks the org role only (pluginproxy.go hasAccessToRoute), so a server
  // admin gets what their org role gets: enabled buttons would only lead to a 403.
  it.each([
    ['Viewer', false, false],
    ['Editor', true, false],
    ['None', false, false],
    ['Owner', false, false],
  ])(
    'gives a Grafana server admin whose org role is %s only that role: edit %s, administer %s',
    (orgRole, edit, admin) => {
      signIn({ orgRole, isGrafanaAdmin: true });
      expect(canEdit()).toBe(edit);
      expect(isAdmin()).toBe(admin);
    }
  );

  it('names the org role in the reason a configuration change is disabled', () => {
    signIn({ orgRole: 'Viewer', isGrafanaAdmin: true });
    expect(adminOnlyReason()).toBe(
      'Only Admins of this organization can change this: your role in it is Viewer. You can read it here.'
    );
    signIn({ orgRole: 'None' });
    expect(adminOnlyReason()).toMatch(/your role in it is none\./);
  });
});
