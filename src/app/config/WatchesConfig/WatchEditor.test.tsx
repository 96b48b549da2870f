import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { WatchDefinition } from '../../../contract/watches';
import type { FieldErrors } from '../../utils/validation';
import { setupUser } from '../../testUtils/user';
import { testIds } from '../../testIds';
import type { QueryRow, WatchDraft } from './draft';
import { WatchEditor } from './WatchEditor';

const user = setupUser();

const cpu: QueryRow = { name: 'cpu', query: 'rate(cpu[5m])' };
const mem: QueryRow = { name: 'mem', query: 'container_memory_working_set_bytes' };

function renderEditor(watch: Partial<WatchDefinition>, rows: QueryRow[] = [cpu, mem], errors: FieldErrors = {}) {
  const onChange = jest.fn<void, [WatchDraft]>();
  const onDelete = jest.fn();
  const draft: WatchDraft = { uid: 'w1', rows, watch: { name: 'pods', queries: {}, ...watch } };
  render(<WatchEditor index={0} draft={draft} errors={errors} onChange={onChange} onDelete={onDelete} />);
  const last = () => onChange.mock.lastCall![0];
  return { onChange, onDelete, last };
}

describe('WatchEditor', () => {
  it('shows the queries with their limits, and the errors found', () => {
    renderEditor({ limits: { mem: { above: 2e9, below: 1 } } }, [cpu, mem], {
      queries: 'at least one query',
      'rows.0.query': 'a PromQL query',
    });
    expect(screen.getByRole('region', { name: 'Watch pods' })).toHaveAttribute(
      'data-testid',
      testIds.watchesConfig.watch(0)
    );
    expect(screen.getAllByLabelText(/^Signal/).map((i) => (i as HTMLInputElement).value)).toEqual(['cpu', 'mem']);
    expect(screen.getAllByLabelText(/^Limit above/).map((i) => (i as HTMLInputElement).value)).toEqual([
      '',
      '2000000000',
    ]);
    expect(screen.getAllByLabelText(/^Limit below/).map((i) => (i as HTMLInputElement).value)).toEqual(['', '1']);
    expect(screen.getByText('at least one query')).toBeInTheDocument();
    expect(screen.getByText('a PromQL query')).toBeInTheDocument();
  });

  it("carries a signal's limit and kind along when it is renamed", () => {
    const { last } = renderEditor({ limits: { cpu: 0.9 }, kinds: { cpu: 'cpu' } });
    fireEvent.change(screen.getAllByLabelText(/^Signal/)[0], { target: { value: 'cpu_rate' } });
    expect(last().rows).toEqual([{ ...cpu, name: 'cpu_rate' }, mem]);
    expect(last().watch.limits).toEqual({ cpu_rate: 0.9 });
    expect(last().watch.kinds).toEqual({ cpu_rate: 'cpu' });
  });

  it('keeps a plain number for a limit above, an object once there is a limit below, nothing when both are cleared', () => {
    const { last } = renderEditor({ limits: { cpu: 0.9 } });
    fireEvent.change(screen.getAllByLabelText(/^Limit below/)[0], { target: { value: '0.1' } });
    expect(last().watch.limits).toEqual({ cpu: { above: 0.9, below: 0.1 } });
    fireEvent.change(screen.getAllByLabelText(/^Limit above/)[0], { target: { value: '' } });
    expect(last().watch.limits).toBeUndefined();
  });

  it('removes a query with its limit, and adds an empty one', async () => {
    const { last } = renderEditor({ limits: { cpu: 0.9, mem: 2e9 } });
    await user.click(screen.getByLabelText('Remove cpu from pods'));
    expect(last().rows).toEqual([mem]);
    expect(last().watch.limits).toEqual({ mem: 2e9 });
    await user.click(screen.getByTestId(testIds.watchesConfig.addQuery(0)));
    expect(last().rows).toEqual([cpu, mem, { name: '', query: '' }]);
  });

  it('reads digits alone as milliseconds and anything else as duration text', () => {
    const { last } = renderEditor({ lag: '30s' });
    expect(screen.getByLabelText(/^Lag/)).toHaveValue('30s');
    fireEvent.change(screen.getByLabelText(/^Step/), { target: { value: '60000' } });
    expect(last().watch.step).toBe(60000);
    fireEvent.change(screen.getByLabelText(/^History/), { target: { value: ' 7d ' } });
    expect(last().watch.history).toBe('7d');
    fireEvent.change(screen.getByLabelText(/^Lag/), { target: { value: '' } });
    expect(last().watch.lag).toBeUndefined();
  });

  it('asks for the URL of a Prometheus source, and the default source has none', async () => {
    const { last } = renderEditor({});
    expect(screen.queryByPlaceholderText('http://prometheus:9090')).not.toBeInTheDocument();
    await user.click(screen.getByLabelText('Prometheus URL'));
    expect(last().watch.source).toEqual({ prometheus: '' });
  });

  it('edits a Grafana data source uid, and going back to the default drops the source', async () => {
    const { last } = renderEditor({ source: { grafana: 'prom' } });
    fireEvent.change(screen.getByLabelText(/^Data source uid/), { target: { value: 'prom-2' } });
    expect(last().watch.source).toEqual({ grafana: 'prom-2' });
    await user.click(screen.getByLabelText("Backend's Prometheus"));
    expect(last().watch.source).toBeUndefined();
  });

  it('asks for no name label until a Kubernetes kind is chosen, and starts the object with that kind', async () => {
    const { last } = renderEditor({});
    expect(screen.queryByLabelText(/^Name label/)).not.toBeInTheDocument();
    await user.click(screen.getByLabelText('Deployment'));
    expect(last().watch.object).toEqual({ name: '', kind: 'Deployment' });
  });

  it('shows the name label of a chosen kind, and guessing drops the object', async () => {
    const { last } = renderEditor({ object: { kind: 'StatefulSet', name: 'statefulset' } });
    expect(screen.getByLabelText(/^Name label/)).toHaveValue('statefulset');
    await user.click(screen.getByLabelText('Guess from the labels'));
    expect(last().watch.object).toBeUndefined();
  });
});
