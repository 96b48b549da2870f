import { plugin } from './module';

describe('module', () => {
  it('registers a root page and the connection and healing-policy config tabs', () => {
    expect(plugin.root).toBeDefined();
    expect(plugin.configPages?.map((page) => page.id)).toEqual(['connection', 'policies']);
  });
});
