import type { WatchDefinition } from '../../contract/watches';
import { redactUserinfo } from '../prometheus/credentials';

// A watch's Prometheus URL may carry credentials (`https://user:pw@host`, sent as Basic auth). The
// watches' configuration is read by Viewers (GET /api/watches/config through Grafana's api/* route),
// so it shows the URL as the logs and GET /api/watches do, password replaced by `***`; an Admin's
// editor saves back what it was shown, so a `***` that stands for the saved password keeps it.

/** The watches as the API shows them: each source URL's password replaced by `***`. */
export function shownWatches(watches: WatchDefinition[]): WatchDefinition[] {
  return watches.map((w) =>
    w.source && 'prometheus' in w.source ? { ...w, source: { prometheus: redactUserinfo(w.source.prometheus) } } : w
  );
}

/**
 * The watches an Admin sent, each source URL that is the shown form of the same watch's saved URL
 * given its saved password back. A URL whose credentials are still the `***` mark stands for no
 * saved password (another host, user or watch): its index, to refuse (the password must be written).
 */
export function withSavedPasswords(
  sent: WatchDefinition[],
  saved: WatchDefinition[]
): { ok: true; watches: WatchDefinition[] } | { ok: false; index: number } {
  const savedUrl = new Map(
    saved.flatMap((w) => (w.source && 'prometheus' in w.source ? [[w.name, w.source.prometheus] as const] : []))
  );
  const watches = sent.map((w) => {
    if (!w.source || !('prometheus' in w.source)) {
      return w;
    }
    const before = savedUrl.get(w.name);
    return before !== undefined && before !== w.source.prometheus && redactUserinfo(before) === w.source.prometheus
      ? { ...w, source: { prometheus: before } }
      : w;
  });
  const index = watches.findIndex((w) => w.source && 'prometheus' in w.source && isMarked(w.source.prometheus));
  return index < 0 ? { ok: true, watches } : { ok: false, index };
}

function isMarked(url: string): boolean {
  try {
    const { username, password } = new URL(url);
    return password === '***' || (password === '' && username === '***');
  } catch {
    return false;
  }
}
