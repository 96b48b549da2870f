import React from 'react';
import { render, screen } from '@testing-library/react';
import { installFakeDataSources } from '../testUtils/fakeDataSources';
import { setupUser } from '../testUtils/user';
import { PrometheusPicker } from './PrometheusPicker';

const user = setupUser();

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

  it('offers only Prometheus data sources and reports the chosen uid', async () => {
    const onChange = renderPicker();
    expect(screen.getByText('Choose a Prometheus data source')).toBeInTheDocument();
    await user.click(screen.getByLabelText('Prometheus data source'));
    expect(screen.getByText('Prometheus A')).toBeInTheDocument();
    expect(screen.queryByText('Loki')).not.toBeInTheDocument();
    await user.click(screen.getByText('Prometheus B'));
    expect(onChange).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenCalledWith('prom-b');
  });

  it('shows a saved choice by its name', () => {
    renderPicker('prom-a');
    expect(screen.getByText('Prometheus A')).toBeInTheDocument();
    expect(screen.queryByText(/not found/)).not.toBeInTheDocument();
  });

  it('marks a saved choice that no longer exists', () => {
    renderPicker('gone-uid');
    expect(screen.getByText('gone-uid (not found)')).toBeInTheDocument();
  });

  it('says when Grafana has no Prometheus data source', async () => {
    installFakeDataSources([{ uid: 'loki', name: 'Loki', type: 'loki' }]);
    renderPicker();
    expect(screen.getByText('No Prometheus data source in Grafana yet')).toBeInTheDocument();
    await user.click(screen.getByLabelText('Prometheus data source'));
    expect(screen.getByText('No Prometheus data source in Grafana')).toBeInTheDocument();
  });
});
