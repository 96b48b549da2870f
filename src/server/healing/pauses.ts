import type { NamespacePause, NamespacePauses, Reason } from '../../contract/healing';
import type { SettingsStore } from './store/settings';

/** Namespaces where an Admin paused automatic actions (from the config page); audited with the user. */
export class NamespacePauseList {
  constructor(
    private readonly store: SettingsStore,
    private readonly now: () => number
  ) {}

  async list(): Promise<NamespacePauses> {
    return { pauses: await this.store.namespacePauses() };
  }

  /** Replaces the list; a namespace that stays paused keeps who paused it and when. */
  async set(pauses: Array<Pick<NamespacePause, 'namespace' | 'reason'>>, user: string): Promise<NamespacePauses> {
    const at = this.now();
    const before = await this.store.namespacePauses();
    const next = pauses.map((p) => {
      const kept = before.find((b) => b.namespace === p.namespace);
      return { ...p, by: kept?.by ?? user, at: kept?.at ?? at };
    });
    const names = (list: NamespacePause[]) => list.map((p) => p.namespace);
    const paused = names(next).filter((n) => !names(before).includes(n));
    const resumed = names(before).filter((n) => !names(next).includes(n));
    await this.store.setNamespacePauses(next, {
      at,
      kind: 'namespaces_paused',
      user,
      message: `${user} ${
        [
          paused.length ? `paused automatic actions in ${paused.join(', ')}` : '',
          resumed.length ? `resumed them in ${resumed.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; ') || 'saved the namespace pauses unchanged'
      }`,
      details: { before: names(before), after: names(next) },
    });
    return this.list();
  }

  async refusal(namespace: string | undefined): Promise<Reason | undefined> {
    return namespace === undefined ? undefined : (await this.refusals())(namespace);
  }

  /** Why automatic actions may not act in a namespace, read once for many namespaces (a drain's pods). */
  async refusals(): Promise<(namespace: string) => Reason | undefined> {
    const pauses = await this.store.namespacePauses();
    return (namespace) => {
      const pause = pauses.find((p) => p.namespace === namespace);
      return pause
        ? {
            kind: 'namespace-paused',
            message: `automatic actions are paused in namespace ${pause.namespace}${pause.by ? ` by ${pause.by}` : ''}${pause.reason ? `: ${pause.reason}` : ''}`,
            ...(pause.at ? { since: pause.at } : {}),
          }
        : undefined;
    };
  }
}
