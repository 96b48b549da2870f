import { locationService } from '@grafana/runtime';
import { reloadPage } from './reloadPage';

describe('reloadPage', () => {
  it("reloads through Grafana's history, not window.location (the plugin validator refuses that)", () => {
    const go = jest.spyOn(locationService.getHistory(), 'go').mockImplementation(() => undefined);
    try {
      reloadPage();
      expect(go).toHaveBeenCalledWith(0);
    } finally {
      go.mockRestore();
    }
  });
});
