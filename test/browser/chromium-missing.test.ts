describe('launchChromium', () => {
  it('fails with the command that installs Chromium when it is missing', async () => {
    jest.resetModules();
    process.env.FP_CHROMIUM = '/nonexistent/chromium';
    try {
      const { launchChromium } = await import('./harness/browser');
      await expect(launchChromium()).rejects.toThrow(
        'Chromium not found at /nonexistent/chromium: run `bash scripts/install-test-deps.sh`'
      );
    } finally {
      delete process.env.FP_CHROMIUM;
    }
  });
});
