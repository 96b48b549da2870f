import { plugin } from './module';

describe('module', () => {
  it('registers a root page and the connection config tab', () => {
    expect(plugin.root).toBeDefined();
    expect(plugin.configPages?.map((page) => page.id)).toContain('connection');
  });
});
