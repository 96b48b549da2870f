// An Alertmanager v2 API test double: `GET /api/v2/silences` answers the `gettableSilences` of
// Alertmanager's OpenAPI spec (api/v2/openapi.yaml, checked with the search tool): each silence
// with id, status.state, updatedAt, matchers (name, value, isRegex, isEqual), startsAt, endsAt,
// createdBy and comment. Strict where Alertmanager is:
// - a silence's state comes from its times and the clock (pending before startsAt, active until
//   endsAt, expired after), as the silences package computes it;
// - adding a silence is refused as Alertmanager's validation refuses it: no matchers, a label name
//   that is not a Prometheus label name, a regex RE2 (Go's regexp) refuses, every matcher matching the empty string,
//   or endsAt not after startsAt;
// - the `filter` query parameter must be matchers (`{a="b"}` or `a="b"`), else 400; other methods 405.

import { randomUUID } from 'node:crypto';
import { RE2JS } from 're2js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MatcherInput {
  name: string;
  value: string;
  isRegex?: boolean;
  isEqual?: boolean;
}

export interface SilenceInput {
  matchers: MatcherInput[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

export interface AlertmanagerDouble {
  url: string;
  /** Adds a silence the way POST /api/v2/silences would; throws Alertmanager's validation error. */
  addSilence(silence: SilenceInput): string;
  /** Answer every request with this status from now on (undefined: normal again). */
  failWith(status: number | undefined): void;
  requests: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function matchesEmpty(m: Required<MatcherInput>): boolean {
  const equal = m.isRegex ? RE2JS.matches(m.value, '') : m.value === '';
  return m.isEqual ? equal : !equal;
}

function validate(input: SilenceInput): Array<Required<MatcherInput>> {
  if (input.matchers.length === 0) {
    throw new Error('at least one matcher required');
  }
  const matchers = input.matchers.map((m) => ({ isRegex: false, isEqual: true, ...m }));
  for (const m of matchers) {
    if (!LABEL_NAME.test(m.name)) {
      throw new Error(`invalid label name "${m.name}"`);
    }
    if (m.isRegex) {
      // Alertmanager compiles it with Go's regexp, RE2: JavaScript-only syntax (lookahead, backreferences)
      // is refused, RE2-only syntax ((?i) flags) accepted.
      RE2JS.compile(m.value);
    }
  }
  if (matchers.every(matchesEmpty)) {
    throw new Error('at least one matcher must not match the empty string');
  }
  if (Date.parse(input.endsAt) <= Date.parse(input.startsAt)) {
    throw new Error('end time must not be before start time');
  }
  return matchers;
}

const FILTER = /^\{?\s*[a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"[^"]*"\s*\}?$/;

export async function startAlertmanager(now: () => number): Promise<AlertmanagerDouble> {
  const silences: Array<SilenceInput & { id: string; matchers: Array<Required<MatcherInput>>; updatedAt: string }> = [];
  const requests: AlertmanagerDouble['requests'] = [];
  let failing: number | undefined;

  const state = (s: SilenceInput) => {
    const t = now();
    return t < Date.parse(s.startsAt) ? 'pending' : t < Date.parse(s.endsAt) ? 'active' : 'expired';
  };

  const respond = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    requests.push({ method, path: url.pathname });
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (failing !== undefined) {
      return send(failing, { code: failing, message: 'injected failure' });
    }
    if (url.pathname !== '/api/v2/silences') {
      return send(404, { code: 404, message: `path ${url.pathname} was not found` });
    }
    if (method !== 'GET') {
      return send(405, { code: 405, message: `method ${method} is not allowed` });
    }
    const bad = url.searchParams.getAll('filter').find((f) => !FILTER.test(f));
    if (bad !== undefined) {
      return send(400, `bad matcher format: ${bad}`);
    }
    send(
      200,
      silences.map((s) => ({
        id: s.id,
        status: { state: state(s) },
        updatedAt: s.updatedAt,
        comment: s.comment,
        createdBy: s.createdBy,
        endsAt: s.endsAt,
        matchers: s.matchers,
        startsAt: s.startsAt,
      }))
    );
  };

  const server = createServer(respond);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    addSilence(input) {
      const matchers = validate(input);
      const id = randomUUID();
      silences.push({ ...input, id, matchers, updatedAt: new Date(now()).toISOString() });
      return id;
    },
    failWith(status) {
      failing = status;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
