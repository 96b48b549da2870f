import React from 'react';
import { render, screen } from '@testing-library/react';
import { chooseOption, installComboboxLayout } from '../testUtils/combobox';
import { installFakeDataSources } from '../testUtils/fakeDataSources';
import { setupUser } from '../testUtils/user';
import { PrometheusPicker } from './PrometheusPicker';

const user = setupUser();
installComboboxLayout();

function renderPicker(value?: string, onChange = jest.fn()) {
  render(
    <>
      <label htmlFor="prom-picker">Prometheus data source</label>
      <PrometheusPicker inputId="prom-picker" value={value} onChange={onChange} />
    </>
  );
  return onChange;
}

describe('PrometheusPicker', () => {
  beforeEach(() =>
    installFakeDataSources([
      { uid: 'prom-a', name: 'Prometheus A', type: 'prometheus' },
      { uid: 'loki', name: 'Loki', type: 'loki' },
      { uid: 'prom-b', name: 'Prometheus B', type: 'prometheus' },
    ])
  );

  const picker = () => screen.getByRole('combobox', { name: 'Prometheus data source' });

  it('offers only Prometheus data sources and reports the chosen uid', async () => {
    const onChange = renderPicker();
    expect(picker()).toHaveAttribute('placeholder', 'Choose a Prometheus data source');
    await user.click(picker());
    const offered = await screen.findAllByRole('option');
    expect(offered.map((o) => o.textContent)).toEqual(['Prometheus A', 'Prometheus B']);
    await user.keyboard('{Escape}');
    await chooseOption(user, picker(), 'Prometheus B');
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith('prom-b');
  });

  it('shows a saved choice by its name', () => {
    renderPicker('prom-a');
    expect(picker()).toHaveValue('Prometheus A');
  });

  it('marks a saved choice that no longer exists', () => {
    renderPicker('gone-uid');
    expect(picker()).toHaveValue('gone-uid (not found)');
  });

  it('says when Grafana has no Prometheus data source', async () => {
    installFakeDataSources([{ uid: 'loki', name: 'Loki', type: 'loki' }]);
    renderPicker();
    expect(picker()).toHaveAttribute('placeholder', 'No Prometheus data source in Grafana yet');
    await user.click(picker());
    expect(await screen.findByText('No options found.')).toBeInTheDocument();
    expect(screen.queryByRole('option')).not.toBeInTheDocument();
  });
});
