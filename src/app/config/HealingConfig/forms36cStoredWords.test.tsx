import { screen, waitFor, within } from '@testing-library/react';
import { putPoliciesBodySchema, type Policy } from '../../../contract/healing';
import { safetyLimitsWriteSchema } from '../../../contract/healing/settingsWrites';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import {
  defaultLimits,
  healingRoutes as routes,
  policyBox,
  renderHealingTab as renderTab,
} from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { validateLimits, validatePolicies } from './HealingConfig';

const user = setupUser();
const save = () => screen.getByTestId(testIds.healingConfig.save);
const invalid = () => screen.queryByTestId(testIds.healingConfig.invalid);
const limitsBox = () => within(screen.getByTestId(testIds.healingConfig.limits));
const allowBox = () => document.getElementById('fp-limit-namespaces-allow');

// A policy an earlier build stored: its store row reads back, though the PUT now refuses these names. A label
// name is any UTF-8 but U+0000, which SQLite kept.
const BAD_KEY = 'app\u0000';
const stored: Policy = {
  name: 'shop-restart',
  enabled: true,
  match: { namespaces: ['shop', 'Shop!'], watches: ['my watch'], labels: { [BAD_KEY]: 'cart', tier: 'web' } },
  action: { type: 'restart' },
  gate: 'approve',
};
const storedRoutes = () =>
  routes({ [`GET ${healingPaths.policies}`]: { data: { policies: [stored], source: 'store' } } });

const NAMESPACE_REASON =
  '"Shop!" is not a namespace name: lower-case letters, digits and -, starting and ending with a letter or digit';
const LABEL_REASON =
  '"app\\u0000" is not a label name a policy can use: it holds U+0000 (NUL), which the stores cannot keep';

describe('the healing form checks what it loaded by the rules the PUT is held to', () => {
  it('names each stored word the PUT refuses on its tag field, once, whichever entry it is', () => {
    const [errors] = validatePolicies([stored]);
    expect(errors).toEqual({
      'match.namespaces': NAMESPACE_REASON,
      'match.watches': expect.stringMatching(/^"my watch" is not a watch name/),
      'match.labels': LABEL_REASON,
    });
    const limitErrors = validateLimits({ namespaces: { allow: ['*', 'shop!'], deny: ['kube-system', 'ops!'] } });
    expect(limitErrors).toEqual({
      'namespaces.allow': expect.stringMatching(/^"shop!" is not a namespace name/),
      'namespaces.deny': expect.stringMatching(/^"ops!" is not a namespace name/),
    });
  });

  it('shows a stored bad namespace, watch and label with their reasons and disables Save until they are removed', async () => {
    const fetch = storedRoutes();
    renderTab();
    const policy = await waitFor(() => policyBox(0));
    expect(policy.getByText(NAMESPACE_REASON)).toBeInTheDocument();
    expect(policy.getByText(/^"my watch" is not a watch name/)).toBeInTheDocument();
    expect(policy.getByText(LABEL_REASON)).toBeInTheDocument();
    expect(invalid()).toHaveTextContent('1 section has invalid values');
    expect(save()).toBeDisabled();

    await user.click(policy.getByRole('button', { name: 'Remove tag: Shop!' }));
    expect(policy.queryByText(NAMESPACE_REASON)).not.toBeInTheDocument();
    await user.click(policy.getByRole('button', { name: 'Remove tag: my watch' }));
    expect(save()).toBeDisabled();
    await user.click(policy.getByRole('button', { name: `Remove label ${BAD_KEY}` }));
    expect(policy.queryByText(LABEL_REASON)).not.toBeInTheDocument();
    expect(invalid()).not.toBeInTheDocument();
    expect(save()).toBeEnabled();

    await user.click(save());
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent('Saved 1 policy.');
    const body = requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data;
    expect(putPoliciesBodySchema.safeParse(body).success).toBe(true);
    expect(body.policies[0].match).toEqual({ namespaces: ['shop'], labels: { tier: 'web' } });
  });

  it('shows stored bad namespaces in the limits, beside "All namespaces" too, and lets them be removed', async () => {
    const fetch = routes({
      [`GET ${healingPaths.limits}`]: {
        data: {
          limits: { ...defaultLimits, namespaces: { allow: ['*', 'shop_1'], deny: ['kube-system', 'ops!'] } },
          source: 'store',
        },
      },
    });
    renderTab();
    await screen.findByTestId(testIds.healingConfig.limits);
    expect(limitsBox().getByText(/^"shop_1" is not a namespace name/)).toBeInTheDocument();
    expect(limitsBox().getByText(/^"ops!" is not a namespace name/)).toBeInTheDocument();
    expect(limitsBox().getByRole('radio', { name: 'All namespaces' })).toBeChecked();
    expect(allowBox()).toBeInTheDocument();
    expect(invalid()).toHaveTextContent('1 section has invalid values');
    expect(save()).toBeDisabled();

    await user.click(limitsBox().getByRole('button', { name: 'Remove tag: shop_1' }));
    await user.click(limitsBox().getByRole('button', { name: 'Remove tag: ops!' }));
    expect(limitsBox().queryByText(/is not a namespace name/)).not.toBeInTheDocument();
    // Nothing is listed beside "*" any more, so the box for names goes as it does for "All namespaces".
    expect(allowBox()).toBeNull();
    expect(save()).toBeEnabled();

    await user.click(save());
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent('Saved the safety limits.');
    const body = requestsTo(fetch, 'PUT', healingPaths.putLimits)[0].data;
    expect(safetyLimitsWriteSchema.safeParse(body).success).toBe(true);
    expect(body.namespaces).toEqual({ allow: ['*'], deny: ['kube-system'] });
  });
});
