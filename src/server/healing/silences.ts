import { RE2JS } from 're2js';
import { messageOf } from '../../utils/messageOf';
import { z } from 'zod';
import type { HealingTrigger, Reason } from '../../contract/healing';
import type { Clock } from '../clock';
import { answerSnippet, NO_REDIRECTS, readBoundedText } from '../prometheus/bounded';
import { redactCredentialsIn, redactUserinfo, splitUserinfo } from '../prometheus/credentials';

/** Silences are small; an answer larger than this is not Alertmanager's. */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;

/**
 * Alertmanager silences, read through its v2 API (`GET /api/v2/silences`, the `gettableSilences`
 * of its OpenAPI spec): an automatic action whose target an active silence matches waits for
 * approval instead, as kured defers while alerts are silenced for maintenance.
 */

// The OpenAPI spec's `matcher`: isEqual is optional there and defaults to true (older servers omit it).
const matcherSchema = z.object({
  name: z.string().min(1),
  value: z.string(),
  isRegex: z.boolean(),
  isEqual: z.boolean().default(true),
});
export type SilenceMatcher = z.infer<typeof matcherSchema>;

// `gettableSilence`: a `silence` (matchers, startsAt, endsAt, createdBy, comment) plus id, status, updatedAt.
const silenceSchema = z.object({
  id: z.string().min(1),
  status: z.object({ state: z.enum(['active', 'pending', 'expired']) }),
  updatedAt: z.iso.datetime({ offset: true }),
  matchers: z.array(matcherSchema).min(1),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  createdBy: z.string(),
  comment: z.string(),
});
export type Silence = z.infer<typeof silenceSchema>;
export const gettableSilencesSchema = z.array(silenceSchema);

/** The labels a silence is matched against: the trigger's, plus its object as kube-state-metrics names it. */
export function targetLabels(trigger: HealingTrigger): Record<string, string> {
  const o = trigger.object;
  return {
    ...trigger.labels,
    ...(o?.namespace ? { namespace: o.namespace } : {}),
    ...(o ? { [o.kind]: o.name } : {}),
  };
}

/**
 * Alertmanager's matcher semantics: a missing label is the empty string; a regex is anchored at both ends
 * (a full match). Regexes run on RE2, Alertmanager's own engine (Go's regexp): its syntax, and matching in
 * time linear in the label, where JavaScript's backtracking engine takes seconds per character on a
 * pattern such as `(a|a)*b` and would freeze the backend, health checks included, for whoever can
 * create a silence.
 */
export function matcherMatches(m: SilenceMatcher, labels: Record<string, string>): boolean {
  const value = Object.hasOwn(labels, m.name) ? labels[m.name] : '';
  const equal = m.isRegex ? RE2JS.matches(m.value, value) : value === m.value;
  return m.isEqual ? equal : !equal;
}

const describeMatcher = (m: SilenceMatcher) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}"${m.value}"`;

/** Every matcher must match. A matcher whose regex does not compile (Alertmanager would not have stored it) counts as matching: holding is the safe side. */
export function silenceMatches(silence: Silence, labels: Record<string, string>): boolean {
  return silence.matchers.every((m) => {
    try {
      return matcherMatches(m, labels);
    } catch {
      return true;
    }
  });
}

export interface SilenceSourceOptions {
  url: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  /** How long one read serves (a burst of proposals asks once). */
  cacheMs?: number;
  /** Times the cache and each read's timeout. */
  clock: Pick<Clock, 'now' | 'timeout'>;
}

/** Reads the active silences; a failure to read holds automation too (it cannot tell). */
export class SilenceSource {
  private cached?: { at: number; silences: Silence[] };

  constructor(private readonly options: SilenceSourceOptions) {}

  private async active(): Promise<Silence[]> {
    const { url, clock, cacheMs = 5000, timeoutMs = 10_000, fetchImpl = fetch } = this.options;
    if (this.cached && clock.now() - this.cached.at < cacheMs) {
      return this.cached.silences;
    }
    // Basic auth in the URL goes as a header: fetch refuses URLs that carry credentials.
    const target = splitUserinfo(url);
    const response = await fetchImpl(`${target.url.replace(/\/$/, '')}/api/v2/silences`, {
      ...NO_REDIRECTS,
      headers: { Accept: 'application/json', ...(target.authorization ? { Authorization: target.authorization } : {}) },
      signal: clock.timeout(timeoutMs),
    });
    if (!response.ok) {
      const text = await answerSnippet(response);
      throw new Error(`answered ${response.status}${text ? `: ${text}` : ''}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(await readBoundedText(response, MAX_ANSWER_BYTES));
    } catch (err) {
      throw new Error(`answered with something other than JSON: ${messageOf(err)}`);
    }
    const parsed = gettableSilencesSchema.safeParse(body);
    if (!parsed.success) {
      throw new Error(`answered with something other than silences: ${parsed.error.issues[0].message}`);
    }
    const silences = parsed.data.filter((s) => s.status.state === 'active');
    this.cached = { at: clock.now(), silences };
    return silences;
  }

  /** Why an automatic action on this trigger's target waits: a silence matches it, or the silences cannot be read. */
  async refusal(trigger: HealingTrigger): Promise<Reason | undefined> {
    const where = `Alertmanager at ${redactUserinfo(this.options.url)}`;
    let silences: Silence[];
    try {
      silences = await this.active();
    } catch (err) {
      return {
        kind: 'silenced',
        message: `cannot read the silences of ${where} (${redactCredentialsIn(messageOf(err))}); automatic actions wait for approval until it answers`,
      };
    }
    const labels = targetLabels(trigger);
    const silence = silences.find((s) => silenceMatches(s, labels));
    return silence
      ? {
          kind: 'silenced',
          message: `silenced in ${where} by ${silence.createdBy} until ${silence.endsAt} (${silence.matchers.map(describeMatcher).join(', ')}${silence.comment ? `: ${silence.comment}` : ''})`,
        }
      : undefined;
  }
}
