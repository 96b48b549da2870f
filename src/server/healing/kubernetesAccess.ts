import { messageOf } from '../../utils/messageOf';
import { X509Certificate } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock';
import type { KubernetesSettings, PutKubernetesBody } from '../../contract/kubernetes';
import { kubeClientFromOptions, kubernetesOptionsSchema, type KubeClient, type KubernetesOptions } from '../kubernetes';
import { hasUserinfo, redactUserinfo } from '../prometheus/credentials';
import type { Saved, SettingsStore, StoredKubernetes } from './store/settings';

/** A change refused for its input: which field, and why, in words. */
export type KubernetesChange =
  { ok: true; settings: KubernetesSettings } | { ok: false; field: string; message: string };

type Built = { ok: true; client: KubeClient } | { ok: false; field: string; message: string };

export interface KubernetesAccessDeps {
  store: SettingsStore;
  /** The client from the backend's own config, and the options it was built from when known. */
  fromConfig?: { client: KubeClient; options?: KubernetesOptions };
  clock: Clock;
  logger: Logger;
  /** Writes a change to the audit log (never with a secret), like policy and limit changes. */
  audit: (entry: { at: number; user: string; message: string; details: Record<string, unknown> }) => Promise<unknown>;
}

/**
 * Which Kubernetes the engine talks to: what an Admin saved in Grafana (kept in the store, so it
 * wins over the config file across restarts, as policies do), else the backend's config, else none.
 * A new client is built, and the input refused, before anything is stored or swapped.
 */
export class KubernetesAccess {
  private current: KubernetesSettings;
  private currentClient: KubeClient | undefined;

  /** The config file's access until `load` has read what an Admin saved. */
  constructor(private readonly deps: KubernetesAccessDeps) {
    this.current = this.applyConfig();
  }

  /** Reads the access an Admin saved (it wins over the config file) and says which is in use. */
  async load(): Promise<void> {
    const saved = await this.deps.store.kubernetes();
    if (saved && 'unreadable' in saved) {
      // Not the config file's cluster instead: an Admin chose this one, so actions wait until it is saved again.
      this.current = this.apply(undefined, {
        source: 'grafana',
        mode: 'endpoint',
        url: redactUserinfo(saved.value.url),
        tokenSet: true,
        caSet: false,
        updatedAt: saved.updatedAt,
        ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}),
        error: saved.unreadable,
      });
    } else if (saved) {
      const built = this.build(saved.value);
      this.current = built.ok
        ? this.apply(built.client, savedSettings(saved, built.client))
        : this.apply(undefined, { ...savedSettings(saved), error: built.message });
    } else {
      this.current = this.applyConfig();
    }
    this.logSource();
  }

  settings(): KubernetesSettings {
    return this.current;
  }

  /** The client to use from now on; undefined: Kubernetes actions are blocked. */
  client(): KubeClient | undefined {
    return this.currentClient;
  }

  /** Validates, builds the new client, and only then stores it and swaps it in; nothing changes on a refusal. */
  async put(
    body: PutKubernetesBody,
    secrets: { token?: string; ca?: string },
    user: string
  ): Promise<KubernetesChange> {
    let stored: StoredKubernetes;
    if (body.mode === 'endpoint') {
      if (hasUserinfo(body.url)) {
        return {
          ok: false,
          field: 'body.url',
          message: 'the Kubernetes API URL carries a user or password: put credentials in the token, not the URL',
        };
      }
      const token = secrets.token?.trim();
      if (!token) {
        return {
          ok: false,
          field: 'secureJsonData.kubeToken',
          message: 'an API endpoint needs a bearer token: set "Bearer token" under Kubernetes in the app configuration',
        };
      }
      const ca = secrets.ca?.trim() ? checkCa(secrets.ca.trim()) : undefined;
      if (ca && !ca.ok) {
        return { ok: false, field: 'secureJsonData.kubeCa', message: ca.message };
      }
      stored = { mode: 'endpoint', url: body.url, token, ...(ca ? { caData: ca.caData } : {}) };
    } else {
      stored = { mode: 'in-cluster' };
    }
    const built = this.build(stored);
    if (!built.ok) {
      return built;
    }
    const at = this.deps.clock.now();
    const before = this.current;
    await this.deps.store.setKubernetes(stored, at, user);
    this.current = this.apply(
      built.client,
      savedSettings({ value: stored, updatedAt: at, updatedBy: user }, built.client)
    );
    this.logSource(user);
    await this.audit(at, user, before);
    return { ok: true, settings: this.current };
  }

  /** Forgets what Grafana saved: back to the backend's own config. */
  async reset(user: string): Promise<KubernetesSettings> {
    const before = this.current;
    await this.deps.store.clearKubernetes();
    this.current = this.applyConfig();
    this.logSource(user);
    await this.audit(this.deps.clock.now(), user, before);
    return this.current;
  }

  private async audit(at: number, user: string, before: KubernetesSettings): Promise<void> {
    const { source, mode, url } = this.current;
    const where =
      source === 'none' ? 'none (Kubernetes actions are blocked)' : `${mode ?? 'client'} ${url ?? ''}`.trim();
    await this.deps.audit({
      at,
      user,
      message: `${user} set Kubernetes access to ${where}, ${source === 'grafana' ? 'as saved in Grafana' : "from the backend's config"}`,
      // Settings carry only whether a token and a CA are set, never their values.
      details: { before, after: this.current },
    });
  }

  private apply(client: KubeClient | undefined, settings: KubernetesSettings): KubernetesSettings {
    this.currentClient = client;
    return settings;
  }

  private applyConfig(): KubernetesSettings {
    const config = this.deps.fromConfig;
    if (!config) {
      return this.apply(undefined, { source: 'none', tokenSet: false, caSet: false });
    }
    const options = config.options;
    return this.apply(config.client, {
      source: 'config',
      ...(options ? { mode: options.mode } : {}),
      url: redactUserinfo(config.client.server),
      tokenSet: options?.mode === 'endpoint' && options.token.length > 0,
      caSet: options?.mode === 'endpoint' && Boolean(options.caFile || options.caData),
    });
  }

  private build(stored: StoredKubernetes): Built {
    // The client reads the same variable and would not refuse: it would call https://undefined:undefined.
    if (stored.mode === 'in-cluster' && !process.env.KUBERNETES_SERVICE_HOST) {
      return {
        ok: false,
        field: 'body.mode',
        message:
          'the backend does not run in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set), so it has no in-cluster service account: choose "API endpoint"',
      };
    }
    try {
      const options = kubernetesOptionsSchema.parse(stored);
      return { ok: true, client: kubeClientFromOptions(options, this.deps.clock) };
    } catch (err) {
      return { ok: false, field: 'body', message: `cannot set up Kubernetes access: ${messageOf(err)}` };
    }
  }

  /** Says which source is in use; never the token. */
  private logSource(user?: string): void {
    const { source, mode, url, error, updatedBy } = this.current;
    const fields = { source, mode, url, ...(user ? { user } : { updatedBy }) };
    const log = this.deps.logger;
    if (error) {
      log.error(
        { ...fields, error },
        `the Kubernetes access saved in Grafana cannot be used: ${error}; Kubernetes actions are blocked until an Admin saves it again or resets it`
      );
    } else if (source === 'none') {
      log.warn(
        fields,
        'no Kubernetes configured: save it in the app configuration in Grafana, or set FP_KUBE_URL and FP_KUBE_TOKEN, KUBECONFIG, or kubernetes: in the config file; Kubernetes actions are blocked until then'
      );
    } else {
      log.info(
        fields,
        `Kubernetes access ${source === 'grafana' ? 'as saved in Grafana' : "from the backend's config"}: ${mode ?? 'client'} ${url ?? ''}`.trim()
      );
    }
  }
}

function savedSettings(saved: Saved<StoredKubernetes>, client?: KubeClient): KubernetesSettings {
  const v = saved.value;
  return {
    source: 'grafana',
    mode: v.mode,
    ...(v.mode === 'endpoint' ? { url: redactUserinfo(v.url) } : client ? { url: client.server } : {}),
    tokenSet: v.mode === 'endpoint',
    caSet: v.mode === 'endpoint' && v.caData !== undefined,
    updatedAt: saved.updatedAt,
    ...(saved.updatedBy ? { updatedBy: saved.updatedBy } : {}),
  };
}

/** The CA arrives as base64 of a PEM; it must decode to a certificate Node can read. */
function checkCa(value: string): { ok: true; caData: string } | { ok: false; message: string } {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    return {
      ok: false,
      message:
        'the CA certificate is not base64: the config page encodes the PEM before saving it; paste the PEM there again',
    };
  }
  const pem = Buffer.from(value, 'base64').toString('utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    return {
      ok: false,
      message: 'the CA certificate does not decode to a PEM certificate (-----BEGIN CERTIFICATE-----)',
    };
  }
  try {
    new X509Certificate(pem);
  } catch (err) {
    return { ok: false, message: `the CA certificate is not a readable certificate: ${messageOf(err)}` };
  }
  return { ok: true, caData: value };
}
