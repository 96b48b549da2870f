import { plugin } from './module';

describe('module', () => {
  it('registers a root page and the connection, healing-policy and watches config tabs', () => {
    expect(plugin.root).toBeDefined();
    expect(plugin.configPages?.map((page) => page.id)).toEqual(['connection', 'policies', 'watches']);
  });
});
