// The compose stack's init step: creates a Grafana service account (Editor, to write anomaly
// annotations) and a token for it through Grafana's HTTP API, and writes the token to a file the
// backend reads as FP_GRAFANA_TOKEN_FILE. Grafana keeps no data volume in the stack, so each run
// creates a fresh token. No dependencies: it runs on the bare node image.
//   POST /api/serviceaccounts            {name, role}           → {id, ...}
//   GET  /api/serviceaccounts/search?query=<name>                → {serviceAccounts: [{id, name}]}
//   POST /api/serviceaccounts/<id>/tokens {name, secondsToLive} → {key, ...}
import { chownSync, writeFileSync } from 'node:fs';

const GRAFANA_URL = process.env.GRAFANA_URL ?? 'http://grafana:3000';
const USER = process.env.GRAFANA_USER ?? 'admin';
const PASSWORD = process.env.GRAFANA_PASSWORD ?? 'admin';
const TOKEN_FILE = process.env.TOKEN_FILE ?? '/tokens/grafana-token';
const ACCOUNT = 'failureprophet-backend';
/** The uid the backend image runs as (the node image's `node` user). */
const BACKEND_UID = 1000;
const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

async function call(method, path, body) {
  const response = await fetch(`${GRAFANA_URL}${path}`, {
    method,
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function waitForGrafana(deadline) {
  for (;;) {
    try {
      const health = await fetch(`${GRAFANA_URL}/api/health`, { signal: AbortSignal.timeout(5000) });
      if (health.ok) {
        return;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`Grafana did not answer at ${GRAFANA_URL}/api/health within 3 minutes`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

async function serviceAccountId() {
  const created = await call('POST', '/api/serviceaccounts', { name: ACCOUNT, role: 'Editor', isDisabled: false });
  if (created.status >= 200 && created.status < 300) {
    return created.body.id;
  }
  // Already there from an earlier run against the same Grafana.
  const found = await call('GET', `/api/serviceaccounts/search?query=${encodeURIComponent(ACCOUNT)}`);
  const account = found.body?.serviceAccounts?.find((a) => a.name === ACCOUNT);
  if (!account) {
    throw new Error(`Grafana refused the service account (${created.status}): ${JSON.stringify(created.body)}`);
  }
  return account.id;
}

await waitForGrafana(Date.now() + 180_000);
const id = await serviceAccountId();
const token = await call('POST', `/api/serviceaccounts/${id}/tokens`, { name: `compose-${Date.now()}` });
if (token.status < 200 || token.status >= 300 || typeof token.body?.key !== 'string') {
  throw new Error(`Grafana refused the token (${token.status}): ${JSON.stringify(token.body)}`);
}
writeFileSync(TOKEN_FILE, `${token.body.key}\n`, { mode: 0o600 });
chownSync(TOKEN_FILE, BACKEND_UID, BACKEND_UID);
console.log(`wrote a token of Grafana service account ${ACCOUNT} (id ${id}) to ${TOKEN_FILE}`);
