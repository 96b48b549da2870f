// force timezone to UTC to allow tests to work regardless of local timezone
process.env.TZ = 'UTC';
// i18next (initialised by @grafana/i18n inside Grafana's components) prints an advertisement once
// per test file unless this, its documented switch, is set; workers inherit it.
process.env.I18NEXT_NO_SUPPORT_NOTICE = 'true';

const base = require('./.config/jest.config');
const { grafanaESModules, nodeModulesToTransform } = require('./.config/jest/utils');

// Packages that ship only ES modules and must be transformed for Jest (beside Grafana's own list).
const esmModules = [
  ...grafanaESModules,
  '@kubernetes/client-node',
  'jsonpath-plus',
  'openid-client',
  'oauth4webapi',
  'jose',
  'rfc4648',
  // light-my-request (Fastify's inject) needs cookie 2, which is ESM only.
  'cookie',
];

const shared = {
  ...base,
  // Grafana's libraries pull in ESM-only packages shipped as .mjs (d3-color 3.1+), which the
  // scaffold's `(t|j)sx?` transform pattern does not match.
  transform: {
    '^.+\\.(t|j)sx?$|^.+\\.mjs$': base.transform['^.+\\.(t|j)sx?$'],
  },
  transformIgnorePatterns: [nodeModulesToTransform(esmModules)],
};

module.exports = {
  // A global option (projects cannot set it).
  // Tests wait on events, never on a clock; this only bounds a hung test. On a busy shared machine a
  // jsdom form test that takes 2 s alone took over 30 s (load 20 on 2 cores), so the bound is wide.
  testTimeout: 120_000,
  projects: [
    {
      // React pages, config page and panel, in jsdom (create-plugin's set-up).
      ...shared,
      displayName: 'frontend',
      testMatch: [
        '<rootDir>/src/{app,panels,utils}/**/*.test.{ts,tsx}',
        '<rootDir>/src/*.test.{ts,tsx}',
        // Loads the built dist/ the way Grafana does, in a browser-like environment.
        '<rootDir>/test/frontend/**/*.test.{ts,tsx}',
      ],
    },
    {
      // Backend, detection library, contract, tools and integration tests, in Node.
      ...shared,
      displayName: 'backend',
      testEnvironment: 'node',
      setupFilesAfterEnv: [],
      testMatch: [
        '<rootDir>/src/{server,detection,contract}/**/*.test.ts',
        '<rootDir>/tools/**/*.test.ts',
        '<rootDir>/test/**/*.test.{ts,tsx}',
      ],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser/', '<rootDir>/test/frontend/'],
    },
    {
      // Real headless Chromium (Debian's) driven by playwright-core.
      ...shared,
      displayName: 'browser',
      testEnvironment: 'node',
      setupFilesAfterEnv: [],
      testMatch: ['<rootDir>/test/browser/**/*.test.ts'],
    },
  ],
};
