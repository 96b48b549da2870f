import React, { useState } from 'react';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import { putPoliciesBodySchema, type Policy } from '../../../contract/healing';
import { healingPaths } from '../../api/healing';
import { requestsTo } from '../../testUtils/fakeBackendSrv';
import { healingRoutes, policyBox, renderHealingTab } from '../../testUtils/healingConfig';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import type { MatchedLabels } from '../../utils/validation';
import { TypedWordsProvider, useTypedWords } from '../shared/typedWords';
import { LabelPairsField } from './LabelPairsField';

const user = setupUser();
const save = () => screen.getByTestId(testIds.healingConfig.save);
const invalid = () => screen.queryByTestId(testIds.healingConfig.invalid);
const group = (name: 'Label selectors' | 'Alert labels') => within(policyBox(0).getByRole('group', { name }));

// Label values as Prometheus and Alertmanager carry them: "=", ",", quotes, spaces at either end.
const stored: Policy = {
  name: 'odd-values',
  enabled: true,
  match: {
    labels: {
      note: ' a=b, "c" ',
      eq: '=x',
      'app.kubernetes.io/name': 'cart',
      tier: 'web',
    },
    alertLabels: {
      alertname: 'KubePodCrashLooping',
      summary: 'Pod "cart-1" restarting: rate=3, window=5m ',
      a: '=b',
    },
  },
  action: { type: 'restart' },
  gate: 'approve',
};

async function savedPolicy(fetch: jest.Mock) {
  await user.click(save());
  expect(await screen.findByTestId(testIds.healingConfig.saveSuccess)).toHaveTextContent(/^Saved/);
  const body = requestsTo(fetch, 'PUT', healingPaths.putPolicies)[0].data;
  expect(putPoliciesBodySchema.safeParse(body).success).toBe(true);
  return body.policies[0] as Policy;
}

/** Types into a row's name and value as a user does, pasting each (a keystroke re-renders the whole tab). */
async function fillRow(field: ReturnType<typeof group>, row: number, key: string, value: string) {
  await user.click(field.getByRole('textbox', { name: `Label ${row} name` }));
  await user.paste(key);
  await user.click(field.getByRole('textbox', { name: `Label ${row} value` }));
  await user.paste(value);
}

describe('the label matchers of a policy in the healing tab', () => {
  const storedRoutes = () =>
    healingRoutes({ [`GET ${healingPaths.policies}`]: { data: { policies: [stored], source: 'store' } } });

  it('save every stored name and value byte for byte when another label of the same field is removed', async () => {
    const fetch = storedRoutes();
    renderHealingTab();
    await waitFor(() => policyBox(0));
    expect(group('Label selectors').getByRole('textbox', { name: 'Label 1 value' })).toHaveValue(' a=b, "c" ');
    await user.click(group('Label selectors').getByRole('button', { name: 'Remove label tier' }));
    await user.click(group('Alert labels').getByRole('button', { name: 'Add label' }));
    await fillRow(group('Alert labels'), 4, 'severity', 'critical');
    expect(invalid()).not.toBeInTheDocument();

    const saved = await savedPolicy(fetch);
    expect(JSON.stringify(saved.match.labels)).toBe(
      JSON.stringify({ note: ' a=b, "c" ', eq: '=x', 'app.kubernetes.io/name': 'cart' })
    );
    expect(JSON.stringify(saved.match.alertLabels)).toBe(
      JSON.stringify({ ...stored.match.alertLabels, severity: 'critical' })
    );
  });
});

/** A form around one label field, showing what it would save and whether it counts a refused row. */
function Form({ matched, initial }: { matched: MatchedLabels; initial?: Record<string, string> }) {
  const words = useTypedWords();
  const [labels, setLabels] = useState(initial);
  return (
    <TypedWordsProvider value={words.report}>
      <LabelPairsField
        label="Labels"
        description="All must hold"
        id="labels"
        labels={labels}
        set={setLabels}
        matched={matched}
      />
      <output data-testid="refused">{words.refusedItems.size}</output>
      <output data-testid="labels">{JSON.stringify(labels ?? null)}</output>
    </TypedWordsProvider>
  );
}

const refused = () => screen.getByTestId('refused').textContent;
const labelsSaved = () => JSON.parse(screen.getByTestId('labels').textContent ?? 'null');
const field = () => within(screen.getByRole('group', { name: 'Labels' }));
const box = (row: number, part: 'name' | 'value') => field().getByRole('textbox', { name: `Label ${row} ${part}` });

/** Enters the text at once, as a paste does: each keystroke would re-render every row with its styles. */
async function enter(input: HTMLElement, text: string) {
  await user.click(input);
  await user.paste(text);
}

async function addRow(row: number, key: string, value: string) {
  await user.click(field().getByRole('button', { name: 'Add label' }));
  await enter(box(row, 'name'), key);
  await enter(box(row, 'value'), value);
}

describe('LabelPairsField', () => {
  it('takes a value as typed, "=", ",", quotes and a trailing space too, and says the space is part of it', async () => {
    render(<Form matched="target" />);
    expect(labelsSaved()).toBeNull();
    await addRow(1, 'instance', 'a="1", b=2 ');
    expect(box(1, 'value')).toHaveAccessibleDescription(
      "The value begins or ends with a space, which the label's value must too."
    );
    expect(box(1, 'value')).not.toHaveAttribute('aria-invalid', 'true');
    expect([labelsSaved(), refused()]).toEqual([{ instance: 'a="1", b=2 ' }, '0']);
  });

  it('refuses a missing name and a missing value on their own fields, with the reason, until mended', async () => {
    render(<Form matched="alert" />);
    await user.click(field().getByRole('button', { name: 'Add label' }));
    await enter(box(1, 'value'), 'x');
    expect(box(1, 'name')).toHaveAccessibleDescription("Enter the label's name");
    await user.clear(box(1, 'value'));
    await enter(box(1, 'name'), 'alertname');
    expect(box(1, 'value')).toHaveAccessibleDescription('Enter the value the label must equal');
    expect(refused()).toBe('1');

    await enter(box(1, 'value'), '   ');
    expect(box(1, 'value')).toHaveAccessibleDescription('Enter a value other than spaces alone');
    await user.clear(box(1, 'value'));
    await enter(box(1, 'value'), 'Watchdog');
    expect(box(1, 'name')).not.toHaveAttribute('aria-invalid', 'true');
    expect(box(1, 'value')).not.toHaveAttribute('aria-invalid', 'true');
    expect([labelsSaved(), refused()]).toEqual([{ alertname: 'Watchdog' }, '0']);
  });

  it("refuses for alerts a name or value longer than any alert's, which a target's labels may have", async () => {
    const longName = `n${'x'.repeat(128)}`;
    const longValue = 'v'.repeat(1025);
    render(<Form matched="alert" initial={{ [longName]: 'x', summary: longValue }} />);
    expect(box(1, 'name')).toHaveAccessibleDescription(
      "An alert's label names are at most 128 characters (this one has 129): no alert carries a longer one"
    );
    expect(box(2, 'value')).toHaveAccessibleDescription(
      "An alert's label values are at most 1024 characters (this one has 1025): no alert carries a longer one"
    );
    expect(refused()).toBe('1');
    cleanup();
    render(<Form matched="target" initial={{ [longName]: 'x', summary: longValue }} />);
    expect(refused()).toBe('0');
  });

  it('refuses a second value for a label, naming the row that matches it, and takes it once the first goes', async () => {
    render(<Form matched="target" initial={{ app: 'cart' }} />);
    await addRow(2, 'app', 'web');
    expect(box(2, 'name')).toHaveAccessibleDescription('"app" is already matched in row 1: a label has one value');
    expect([labelsSaved(), refused()]).toEqual([{ app: 'cart' }, '1']);
    await user.click(field().getAllByRole('button', { name: 'Remove label app' })[0]);
    expect([labelsSaved(), refused()]).toEqual([{ app: 'web' }, '0']);
  });

  it('keeps a blank row out of the labels, and no rows are no condition', async () => {
    render(<Form matched="target" initial={{ app: 'cart' }} />);
    await user.click(field().getByRole('button', { name: 'Add label' }));
    expect(box(2, 'name')).toHaveFocus();
    expect([labelsSaved(), refused()]).toEqual([{ app: 'cart' }, '0']);
    await user.click(field().getByRole('button', { name: 'Remove label app' }));
    expect(labelsSaved()).toBeNull();
  });
});
