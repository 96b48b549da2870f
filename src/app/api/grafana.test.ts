import { PLUGIN_SETTINGS_URL } from '../../constants';
import { installFakeBackendSrv } from '../testUtils/fakeBackendSrv';
import { getDataSourceHealth, savePluginSettings } from './grafana';

const settings = { enabled: true, pinned: true, jsonData: { backendUrl: 'http://b:3001' } };

describe("Grafana's API", () => {
  it("throws Grafana's own message when it refuses", async () => {
    installFakeBackendSrv({ [`POST ${PLUGIN_SETTINGS_URL}`]: { status: 403, data: { message: 'Permission denied' } } });
    await expect(savePluginSettings(settings)).rejects.toThrow('Permission denied');
  });

  it('refuses an answer in a shape Grafana does not give', async () => {
    installFakeBackendSrv({ 'GET /api/datasources/uid/prom/health': { data: { status: 3 } } });
    await expect(getDataSourceHealth('prom')).rejects.toThrow(/unexpected shape \(status:/);
  });

  it("reads a data source's health check", async () => {
    installFakeBackendSrv({
      'GET /api/datasources/uid/prom/health': {
        data: { status: 'OK', message: 'Successfully queried the Prometheus API.' },
      },
    });
    await expect(getDataSourceHealth('prom')).resolves.toEqual({
      status: 'OK',
      message: 'Successfully queried the Prometheus API.',
    });
  });
});
