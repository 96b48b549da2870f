// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';
import { configure } from '@testing-library/react';

// Grafana's components render slowly in jsdom, and CI runs the three projects side by side on two
// cores: a render that takes 200 ms alone can take seconds there. Waits are longer so a loaded
// machine does not fail a correct test; a wrong result still fails, only later. A test's own bound
// is jest.config.js's testTimeout (not set here, where it would override that wider one).
configure({ asyncUtilTimeout: 5_000 });

// Grafana's Select menu watches its scroll edges; jsdom has no IntersectionObserver. Nothing scrolls
// in jsdom, so an observer that never reports is what the menu would see.
class NoIntersectionObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
}
Object.assign(window, { IntersectionObserver: NoIntersectionObserver });
