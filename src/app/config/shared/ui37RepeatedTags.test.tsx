import React, { useState } from 'react';
import { render, screen, waitFor } from '@testing-library/react';
import type { Policy } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes, policyBox, renderHealingTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import { FormTagsInput } from './FormTagsInput';
import { TypedWordsProvider, useTypedWords } from './typedWords';

const user = setupUser();

/** A form around one tag field holding a stored list, showing what the form counts. */
function Form({ initial }: { initial: string[] }) {
  const words = useTypedWords();
  const [tags, setTags] = useState(initial);
  return (
    <TypedWordsProvider value={words.report}>
      <label htmlFor="namespaces">Namespaces</label>
      <FormTagsInput id="namespaces" tags={tags} onChange={setTags} />
      <output data-testid="typing">{String(words.typing)}</output>
      <output data-testid="refused">{words.refusedItems.size}</output>
      <output data-testid="tags">{tags.join(',')}</output>
    </TypedWordsProvider>
  );
}

const counted = () => ['typing', 'refused', 'tags'].map((id) => screen.getByTestId(id).textContent);
const removeShop = () => screen.getAllByRole('button', { name: 'Remove tag: shop' });
const REASON = '"shop" is listed twice: remove one of them';

describe('a stored list holding a tag twice', () => {
  let consoleError: jest.SpyInstance;
  beforeEach(() => {
    consoleError = jest.spyOn(console, 'error');
  });
  afterEach(() => consoleError.mockRestore());

  it('shows both tags without a key clash, says why, and counts as refused but not as a change', () => {
    render(<Form initial={['shop', 'cart', 'shop']} />);
    expect(removeShop()).toHaveLength(2);
    expect(consoleError).not.toHaveBeenCalled();
    expect(screen.getByText(REASON)).toBeInTheDocument();
    expect(screen.getByLabelText('Namespaces')).toHaveAccessibleDescription(REASON);
    expect(counted()).toEqual(['false', '1', 'shop,cart,shop']);
  });

  it('removes the repeat alone, and then nothing is refused', async () => {
    render(<Form initial={['shop', 'cart', 'shop']} />);
    await user.click(removeShop()[1]);
    expect(counted()).toEqual(['false', '0', 'shop,cart']);
    expect(screen.queryByText(REASON)).not.toBeInTheDocument();
  });

  it('removes the first of the two alone, keeping the order of the rest', async () => {
    render(<Form initial={['shop', 'cart', 'shop', 'web']} />);
    await user.click(removeShop()[0]);
    expect(counted()).toEqual(['false', '0', 'cart,shop,web']);
    expect(screen.getAllByRole('listitem').map((li) => li.textContent)).toEqual(['cart', 'shop', 'web']);
  });

  it('says how many times a tag is listed beyond two', () => {
    render(<Form initial={['shop', 'shop', 'shop']} />);
    expect(screen.getByText('"shop" is listed 3 times: remove all but one')).toBeInTheDocument();
  });

  it("in the healing form: shows the reason on the policy's field and keeps Save disabled until one is removed", async () => {
    const stored: Policy = {
      name: 'shop-restart',
      enabled: true,
      match: { namespaces: ['shop', 'shop'] },
      action: { type: 'restart' },
      gate: 'approve',
    };
    const fetch = healingRoutes({
      [`GET ${healingPaths.policies}`]: { data: { policies: [stored], source: 'store' } },
    });
    renderHealingTab();
    const policy = await waitFor(() => policyBox(0));
    expect(policy.getByText(REASON)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.invalid)).toHaveTextContent('1 section has invalid values');

    // A change elsewhere in the policy does not make the list savable.
    await user.type(policy.getByLabelText(/^Namespaces/), 'cart{Enter}');
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeDisabled();

    await user.click(policy.getAllByRole('button', { name: 'Remove tag: shop' })[1]);
    expect(policy.queryByText(REASON)).not.toBeInTheDocument();
    expect(screen.getByTestId(testIds.healingConfig.save)).toBeEnabled();
    await user.click(screen.getByTestId(testIds.healingConfig.save));
    expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent('Saved 1 policy.');
    expect(requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data.policies[0].match).toEqual({
      namespaces: ['shop', 'cart'],
    });
  });
});
