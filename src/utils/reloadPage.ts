import { locationService } from '@grafana/runtime';

/**
 * Grafana keeps plugin settings in memory (its plugin settings cache): reloading the document is the
 * supported way to apply saved ones. locationService.reload() does not do that: it only replaces the
 * location with a new `routeReloadCounter` state, which dashboards watch and a plugin's config page
 * does not. Going 0 steps through Grafana's own history reloads the current page (HTML's history
 * traversal by 0), without touching window.location.
 */
export function reloadPage(): void {
  locationService.getHistory().go(0);
}
