import pluginJson from '../../plugin.json';
import { actionLink, PLUGIN_ID } from './approvals';
import { recovery } from './outcomes';

const T = 1_700_000_000_000;

describe('recovery', () => {
  it('counts from the start to the trigger closing when it closed in between, else to the verification', () => {
    expect(recovery(T, T + 300_000, T + 120_000, undefined)).toEqual({ seconds: 120, prevented: false });
    expect(recovery(T, T + 300_000, undefined, undefined).seconds).toBe(300);
    // Closed before the action started: the action did not bring it back.
    expect(recovery(T, T + 300_000, T - 1, undefined).seconds).toBe(300);
  });

  it('prevented only when acted before the predicted crossing and recovered before it too', () => {
    expect(recovery(T, T + 60_000, undefined, T + 3_600_000).prevented).toBe(true);
    expect(recovery(T, T + 60_000, undefined, T + 30_000).prevented).toBe(false); // recovered after the crossing
    expect(recovery(T, T + 60_000, undefined, T - 1).prevented).toBe(false); // acted after the crossing
  });
});

it("links to the action on the app's Actions page, whatever Grafana's URL ends with", () => {
  expect(PLUGIN_ID).toBe(pluginJson.id);
  expect(pluginJson.includes.some((i: { path?: string }) => i.path === '/a/%PLUGIN_ID%/actions')).toBe(true);
  expect(actionLink('https://grafana.example.com', 4)).toBe(
    'https://grafana.example.com/a/failureprophet-healing-app/actions?action=4'
  );
  expect(actionLink('https://example.com/grafana//', 4)).toBe(
    'https://example.com/grafana/a/failureprophet-healing-app/actions?action=4'
  );
});
