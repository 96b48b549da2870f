import React from 'react';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import { config, locationService } from '@grafana/runtime';
import { setupUser } from '../../testUtils/user';
import { AppPlugin } from '@grafana/data';
import type { WatchDefinition, WatchesConfigResponse } from '../../../contract/watches';
import { watchesPaths } from '../../api/watches';
import type { AppSettings } from '../../pluginSettings';
import { installFakeBackendSrv, requestsTo, type FakeReply, type FakeRoute } from '../../testUtils/fakeBackendSrv';
import { appPluginMeta } from '../../testUtils/pluginMeta';
import { testIds } from '../../testIds';
import { toDraft, validateWatches } from './draft';
import WatchesConfig from './WatchesConfig';

const user = setupUser();

const FILE: WatchDefinition[] = [
  {
    name: 'node',
    queries: { cpu: 'avg by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', memory: 'node_memory_used' },
    target: ['instance'],
    step: '1m',
    history: '7d',
    limits: { memory: 0.95 },
    detector: 'failureprophet',
    closeAfter: 6,
    lag: '30s',
  },
];
const fromFile: WatchesConfigResponse = { watches: FILE, source: 'file' };

function routes(overrides: Record<string, FakeRoute | FakeReply> = {}) {
  return installFakeBackendSrv({
    [`GET ${watchesPaths.config}`]: { data: fromFile },
    [`PUT ${watchesPaths.admin}`]: (req) => ({
      data: { watches: req.data.watches, source: 'store', updatedBy: 'admin', updatedAt: Date.UTC(2026, 0, 5) },
    }),
    [`DELETE ${watchesPaths.admin}`]: { data: fromFile },
    ...overrides,
  });
}

function renderTab(jsonData: AppSettings = { backendUrl: 'http://backend:3001' }) {
  const plugin = new AppPlugin<AppSettings>();
  plugin.meta = appPluginMeta(jsonData);
  return render(<WatchesConfig plugin={plugin} query={{}} />);
}

const watchBox = (index: number) => within(screen.getByTestId(testIds.watchesConfig.watch(index)));

async function typeInto(input: HTMLElement, text: string) {
  await user.clear(input);
  await user.click(input);
  await user.paste(text);
}

describe('validateWatches', () => {
  it('puts each reason on the field it is about', () => {
    const [a, b] = validateWatches([
      toDraft({ name: 'a', queries: { cpu: '', '1bad': 'up' }, step: '500ms', history: '90 days' }),
      toDraft({ name: 'a', queries: { x: 'up' }, limits: { x: { above: 1 } } }),
    ]);
    expect(a).toEqual({
      step: 'at least 1s',
      history: expect.stringMatching(/a duration such as/),
      'rows.0.query': 'Required',
      'rows.1.name': 'Letters, digits and _, not starting with a digit',
    });
    expect(b).toEqual({ name: 'Another watch is already named "a"' });
  });
});

const signIn = (orgRole: string, isGrafanaAdmin = false) => {
  config.bootData.user = { ...config.bootData.user, orgRole, isGrafanaAdmin } as typeof config.bootData.user;
};

describe('WatchesConfig', () => {
  beforeEach(() => signIn('Admin'));

  it('shows the shared not-configured alert without a backend, and calls nothing', () => {
    const fetch = routes();
    renderTab({});
    expect(screen.getByTestId(testIds.backendStatus.notConfigured)).toBeInTheDocument();
    expect(fetch).not.toHaveBeenCalled();
  });

  it('lists the watches and says where they come from', async () => {
    routes();
    renderTab();
    expect(await screen.findByTestId(testIds.watchesConfig.source)).toHaveTextContent("backend's configuration file");
    const node = watchBox(0);
    expect(node.getByLabelText(/^Name/)).toHaveValue('node');
    expect(node.getAllByLabelText('Signal').map((i) => (i as HTMLInputElement).value)).toEqual(['cpu', 'memory']);
    expect(node.getAllByLabelText('Limit above').map((i) => (i as HTMLInputElement).value)).toEqual(['', '0.95']);
    expect(node.getByLabelText(/^History/)).toHaveValue('7d');
    expect(screen.getByTestId(testIds.watchesConfig.save)).toBeDisabled();
    expect(screen.queryByTestId(testIds.watchesConfig.reset)).not.toBeInTheDocument();
  });

  it('validates as the admin types and blocks saving', async () => {
    const fetch = routes();
    renderTab();
    const history = await waitFor(() => watchBox(0).getByLabelText(/^History/));
    await typeInto(history, '90 days');
    expect(watchBox(0).getByText(/a duration such as "30s"/)).toBeInTheDocument();
    await typeInto(watchBox(0).getAllByLabelText('PromQL')[1], ' ');
    expect(watchBox(0).getByText('Required')).toBeInTheDocument();
    expect(screen.getByTestId(testIds.watchesConfig.invalid)).toHaveTextContent('1 watch has invalid values');
    expect(screen.getByTestId(testIds.watchesConfig.save)).toBeDisabled();
    expect(requestsTo(fetch, 'PUT', watchesPaths.admin)).toHaveLength(0);
  });

  it('adds a watch and saves the set through the backend proxy', async () => {
    const fetch = routes();
    renderTab();
    await screen.findByTestId(testIds.watchesConfig.container);
    await user.click(screen.getByTestId(testIds.watchesConfig.addWatch));
    const added = watchBox(1);
    await typeInto(added.getByLabelText(/^Name/), 'queue');
    await typeInto(added.getByLabelText('Signal'), 'depth');
    await typeInto(added.getByLabelText('PromQL'), 'sum by (job) (queue_depth)');
    await typeInto(added.getByLabelText('Limit above'), '500');
    await typeInto(added.getByLabelText(/^Step/), '5m');
    const labels = added.getByLabelText(/^Target labels/);
    await user.type(labels, 'job{enter}');
    expect(screen.getByTestId(testIds.watchesConfig.unsaved)).toBeInTheDocument();

    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    expect(await screen.findByTestId(testIds.watchesConfig.saveSuccess)).toHaveTextContent('Saved 2 watches');
    const [put] = requestsTo(fetch, 'PUT', watchesPaths.admin);
    expect(put.url).toBe('/api/plugin-proxy/failureprophet-healing-app/api/admin/watches');
    expect(put.data.watches).toEqual([
      FILE[0],
      {
        name: 'queue',
        queries: { depth: 'sum by (job) (queue_depth)' },
        target: ['job'],
        step: '5m',
        history: '7d',
        limits: { depth: 500 },
      },
    ]);
    expect(screen.getByTestId(testIds.watchesConfig.source)).toHaveTextContent('Saved here by admin');
    expect(screen.queryByTestId(testIds.watchesConfig.unsaved)).not.toBeInTheDocument();
  });

  it('adds, renames and removes queries, and the limits follow the signal they belong to', async () => {
    const fetch = routes();
    renderTab();
    await screen.findByTestId(testIds.watchesConfig.container);
    await user.click(screen.getByTestId(testIds.watchesConfig.addQuery(0)));
    const node = watchBox(0);
    await typeInto(node.getAllByLabelText('Signal')[2], 'disk');
    await typeInto(node.getAllByLabelText('PromQL')[2], 'node_disk_used_ratio');
    await typeInto(node.getAllByLabelText('Signal')[1], 'mem');
    await user.click(screen.getByLabelText('Remove cpu from node'));
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    await screen.findByTestId(testIds.watchesConfig.saveSuccess);
    const [put] = requestsTo(fetch, 'PUT', watchesPaths.admin);
    expect(put.data.watches[0].queries).toEqual({ mem: 'node_memory_used', disk: 'node_disk_used_ratio' });
    expect(put.data.watches[0].limits).toEqual({ mem: 0.95 });
  });

  it("shows the server's refusal, naming the field, and keeps the edits", async () => {
    routes({
      [`PUT ${watchesPaths.admin}`]: {
        status: 400,
        data: {
          error: 'bad_request',
          field: 'body.watches.0.queries.cpu',
          message:
            'body.watches.0.queries.cpu: watch "node", query "cpu": Prometheus refused the query (bad_data): parse error',
        },
      },
    });
    renderTab();
    await typeInto(await waitFor(() => watchBox(0).getAllByLabelText('PromQL')[0]), 'rate(x[5m');
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    expect(await screen.findByTestId(testIds.watchesConfig.saveError)).toHaveTextContent(
      'body.watches.0.queries.cpu: watch "node", query "cpu": Prometheus refused the query (bad_data): parse error'
    );
    expect(watchBox(0).getAllByLabelText('PromQL')[0]).toHaveValue('rate(x[5m');
    expect(screen.getByTestId(testIds.watchesConfig.unsaved)).toBeInTheDocument();
  });

  it('says in words that only Admins can save when the proxy still answers 403 (a role changed since)', async () => {
    routes({ [`PUT ${watchesPaths.admin}`]: { status: 403, data: { message: 'Forbidden' } } });
    renderTab();
    await typeInto(await waitFor(() => watchBox(0).getByLabelText(/^Step/)), '2m');
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    expect(await screen.findByTestId(testIds.watchesConfig.saveError)).toHaveTextContent(
      'Only Admins of this organization can change the watches'
    );
  });

  it('resets saved watches to the file after confirmation', async () => {
    const saved: WatchesConfigResponse = {
      watches: [{ name: 'queue', queries: { depth: 'queue_depth' } }],
      source: 'store',
      updatedBy: 'alice',
      updatedAt: Date.UTC(2026, 0, 5),
    };
    const fetch = routes({ [`GET ${watchesPaths.config}`]: { data: saved } });
    renderTab();
    expect(await screen.findByTestId(testIds.watchesConfig.source)).toHaveTextContent('Saved here by alice');
    await user.click(screen.getByTestId(testIds.watchesConfig.reset));
    expect(requestsTo(fetch, 'DELETE', watchesPaths.admin)).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Reset' }));
    expect(await screen.findByTestId(testIds.watchesConfig.saveSuccess)).toHaveTextContent(
      "Back to the configuration file's watches"
    );
    expect(requestsTo(fetch, 'DELETE', watchesPaths.admin)).toHaveLength(1);
    expect(watchBox(0).getByLabelText(/^Name/)).toHaveValue('node');
    expect(screen.getByTestId(testIds.watchesConfig.source)).toHaveTextContent("backend's configuration file");
  });

  it.each([
    ['an org Editor', 'Editor', false],
    ['a Grafana server admin whose org role is Viewer', 'Viewer', true],
  ])('shows %s the watches with saving and resetting disabled, and why', async (_, orgRole, serverAdmin) => {
    signIn(orgRole, serverAdmin);
    const saved: WatchesConfigResponse = { watches: FILE, source: 'store', updatedBy: 'alice' };
    const fetch = routes({ [`GET ${watchesPaths.config}`]: { data: saved } });
    renderTab();
    expect(await screen.findByTestId(testIds.watchesConfig.source)).toHaveTextContent('Saved here by alice');
    expect(watchBox(0).getByLabelText(/^Name/)).toHaveValue('node');
    await typeInto(watchBox(0).getByLabelText(/^Step/), '2m');
    const reason = `Only Admins of this organization can change this: your role in it is ${orgRole}. You can read it here.`;
    expect(screen.getByText(reason)).toBeVisible();
    const save = screen.getByTestId(testIds.watchesConfig.save);
    const reset = screen.getByTestId(testIds.watchesConfig.reset);
    expect(save).toBeDisabled();
    expect(reset).toBeDisabled();
    await user.click(save);
    await user.click(reset);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(requestsTo(fetch, 'PUT', watchesPaths.admin)).toHaveLength(0);
    expect(requestsTo(fetch, 'DELETE', watchesPaths.admin)).toHaveLength(0);
  });

  it("asks in Grafana's modal before leaving with unsaved watches, and leaves when told to", async () => {
    routes();
    locationService.replace('/plugins/failureprophet-healing-app?page=watches');
    renderTab();
    await typeInto(await waitFor(() => watchBox(0).getByLabelText(/^Step/)), '2m');
    // The user leaves the field first, as clicking a link does.
    await user.click(document.body);
    act(() => locationService.push('/plugins/failureprophet-healing-app?page=policies'));
    const dialog = screen.getByRole('dialog');
    expect(dialog).toHaveTextContent('You have unsaved changes. Leave this page and lose them?');
    expect(locationService.getLocation().search).toBe('?page=watches');
    await user.click(within(dialog).getByRole('button', { name: 'Leave' }));
    // Grafana's ConfirmModal confirms through an async form submit: wait for it to go through.
    await waitFor(() => expect(locationService.getLocation().search).toBe('?page=policies'));
  });

  it('saves a peer label typed and not added (no Enter, no blur) on the first click of Save', async () => {
    const fetch = routes();
    renderTab();
    await user.type(await waitFor(() => watchBox(0).getByLabelText(/^Peer labels/)), 'job');
    expect(screen.getByTestId(testIds.watchesConfig.unsaved)).toBeInTheDocument();
    // Enabled as the mouse goes down on it: a browser need not deliver a click pressed on a disabled button.
    expect(screen.getByTestId(testIds.watchesConfig.save)).toBeEnabled();
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    expect(await screen.findByTestId(testIds.watchesConfig.saveSuccess)).toHaveTextContent('Saved 1 watch');
    expect(requestsTo(fetch, 'PUT', watchesPaths.admin)[0].data.watches).toEqual([{ ...FILE[0], peers: ['job'] }]);
  });

  it("saves a peer label over 50 characters (Grafana's TagsInput refused them; a label name has no limit)", async () => {
    const fetch = routes();
    renderTab();
    const peers = await waitFor(() => watchBox(0).getByLabelText(/^Peer labels/));
    await user.type(peers, 'j'.repeat(51));
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    expect(await screen.findByTestId(testIds.watchesConfig.saveSuccess)).toHaveTextContent('Saved 1 watch');
    expect(requestsTo(fetch, 'PUT', watchesPaths.admin)[0].data.watches).toEqual([
      { ...FILE[0], peers: ['j'.repeat(51)] },
    ]);
  });

  it('refuses a target or peer label Prometheus would not take, saying why, and saves nothing while it is there', async () => {
    const fetch = routes();
    renderTab();
    const target = await waitFor(() => watchBox(0).getByLabelText(/^Target labels/));
    const peers = watchBox(0).getByLabelText(/^Peer labels/);
    // Prometheus 3 takes any non-empty UTF-8 name; a NUL (pasted) no store keeps.
    await user.type(target, 'pod\u0000name');
    await user.type(peers, 'a\u0000b');
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    for (const name of ['pod\\u0000name', 'a\\u0000b']) {
      expect(
        watchBox(0).getByText(
          `"${name}" is not a label name a watch can use: it holds U+0000 (NUL), which the stores cannot keep`
        )
      ).toBeInTheDocument();
    }
    // Two refused words in one watch: one invalid watch.
    expect(screen.getByTestId(testIds.watchesConfig.invalid)).toHaveTextContent('1 watch has invalid values');
    expect(screen.getByTestId(testIds.watchesConfig.save)).toBeDisabled();
    expect(requestsTo(fetch, 'PUT', watchesPaths.admin)).toHaveLength(0);
    expect(target).toHaveValue('pod\u0000name');

    await user.clear(target);
    await user.type(target, 'pod');
    await user.clear(peers);
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    expect(await screen.findByTestId(testIds.watchesConfig.saveSuccess)).toHaveTextContent('Saved 1 watch');
    expect(requestsTo(fetch, 'PUT', watchesPaths.admin)[0].data.watches).toEqual([
      { ...FILE[0], target: ['instance', 'pod'] },
    ]);
  });

  it("takes Prometheus 3's UTF-8 label names (OpenTelemetry's service.name) as target and peer labels", async () => {
    const fetch = routes();
    renderTab();
    const target = await waitFor(() => watchBox(0).getByLabelText(/^Target labels/));
    await user.type(target, 'service.name{enter}');
    await user.type(watchBox(0).getByLabelText(/^Peer labels/), 'k8s.namespace.name');
    expect(screen.queryByTestId(testIds.watchesConfig.invalid)).not.toBeInTheDocument();
    await user.click(screen.getByTestId(testIds.watchesConfig.save));
    expect(await screen.findByTestId(testIds.watchesConfig.saveSuccess)).toHaveTextContent('Saved 1 watch');
    expect(requestsTo(fetch, 'PUT', watchesPaths.admin)[0].data.watches).toEqual([
      { ...FILE[0], target: ['instance', 'service.name'], peers: ['k8s.namespace.name'] },
    ]);
  });
});
