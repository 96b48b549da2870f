/** Grafana keeps plugin settings in memory: a reload is the supported way to apply saved ones. */
export function reloadPage(): void {
  window.location.reload();
}
