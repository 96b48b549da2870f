import { messageOf } from '../../utils/messageOf';
import type { Logger } from 'pino';
import { PeerGroupDetector } from '../../detection';
import { StoredRowError } from '../store/rows';
import type { StepValues } from './alignment';
import type { TargetModel } from './targetModel';
import type { StoredPeers } from './store/repository';
import { UnreadablePeersError } from './store/watchTable';

/** Peer groups are often 3-4 replicas, whose spread at one step says little: take it from the last 99 steps (peerGroup.ts). */
const PEER_SCALE_SMOOTHING = 0.02;

/**
 * The key of a target's peer group: its values of the watch's peer labels (`deployment=web,...`),
 * each value's `\` and `,` escaped with a `\`, so no value passes for a separator (`a` = `x,b=y`
 * with `b` = `z` is not the group of `a` = `x` with `b` = `y,b=z`). A watch's peer-label names are
 * fixed, so even UTF-8 ones holding `,` or `=` make no two groups' keys alike. A value without
 * them keys its group as before the escaping, so stored groups read on; a group stored under an
 * unescaped key of such a value is relearned.
 */
export function peerGroupKey(peerLabels: readonly string[], targetLabels: Record<string, string>): string {
  return peerLabels.map((l) => `${l}=${(targetLabels[l] ?? '').replace(/[\\,]/g, '\\$&')}`).join(',');
}

/** One detector per group and signal. */
const detectorKey = (group: string, signal: string) => `${group}/${signal}`;

/** The targets of one answer that share the watch's peer labels, sorted by id; slot: the target's index in the aligned answer. */
export interface ChunkPeerGroup {
  key: string;
  members: Array<{ target: TargetModel; slot: number }>;
}

/** A target's departure from its replicas at one step: its highest peer score and the signal it came from. */
export type PeerScore = { score: number; signal: string };

/**
 * The peer-group detectors of one watch, per group key and signal: which targets each group had
 * (in order) when its detector learned. A group whose membership changes starts afresh.
 */
export class PeerGroups {
  private readonly groups = new Map<string, { members: string[]; detector: PeerGroupDetector }>();
  /**
   * The detectors this replica scored since it restored: the ones it checkpoints. Replicas sharing
   * a watch each score their own groups and the store merges what they write by group, so one
   * replica's stale copy of another's group never overwrites it.
   */
  private readonly scored = new Set<string>();
  /** Groups dropped since the last checkpoint: deleted from the store with it. */
  private readonly dropped = new Set<string>();

  constructor(
    /** The watch's peer labels; undefined for a watch without peer groups. */
    private readonly labels: string[] | undefined,
    private readonly signals: string[]
  ) {}

  /** Restores the stored groups (in place of any held); an unreadable group (or all of them) is relearned, with a warning. */
  async restore(load: () => Promise<StoredPeers>, logger: Logger, watch: string): Promise<void> {
    this.groups.clear();
    this.scored.clear();
    this.dropped.clear();
    this.adopt(await this.readable(load, logger, watch), () => true, logger, watch);
  }

  /**
   * The stored groups; none when their row is of another shape (relearned, with a warning, and the
   * groups it names deleted with the next checkpoint but those scored again by then). A store that
   * does not answer rejects: the restore or takeover is tried again.
   */
  private async readable(load: () => Promise<StoredPeers>, logger: Logger, watch: string): Promise<StoredPeers> {
    try {
      return await load();
    } catch (err) {
      if (!(err instanceof StoredRowError)) {
        throw err;
      }
      logger.warn({ watch, err: messageOf(err) }, 'stored peer groups unreadable; relearning them');
      for (const key of err instanceof UnreadablePeersError ? err.groups : []) {
        this.dropped.add(key);
      }
      return {};
    }
  }

  /**
   * Takes up the groups of targets this replica now owns (another replica scored them until now)
   * from their last stored state, in place of any copy held since this replica restored.
   */
  async takeUp(
    load: () => Promise<StoredPeers>,
    targets: Iterable<Record<string, string>>,
    logger: Logger,
    watch: string
  ): Promise<void> {
    const keys = this.detectorKeys(targets);
    if (keys.size === 0) {
      return;
    }
    const stored = await this.readable(load, logger, watch);
    for (const key of keys) {
      // Written again once scored here: until then the store's copy is the one that counts.
      this.groups.delete(key);
      this.scored.delete(key);
    }
    this.adopt(stored, (key) => keys.has(key), logger, watch);
  }

  /**
   * Lets go of the groups of targets another replica now owns: their latest state, to store for
   * the new owner (undefined when there is none), and this replica stops writing them.
   */
  letGo(targets: Iterable<Record<string, string>>): StoredPeers | undefined {
    const keys = [...this.detectorKeys(targets)].filter((key) => this.scored.has(key));
    if (keys.length === 0) {
      return undefined;
    }
    const out: StoredPeers = {};
    for (const key of keys) {
      const { members, detector } = this.groups.get(key)!;
      out[key] = { members, state: detector.toState() };
      this.groups.delete(key);
      this.scored.delete(key);
    }
    return out;
  }

  private adopt(stored: StoredPeers, wanted: (key: string) => boolean, logger: Logger, watch: string): void {
    for (const [key, { members, state }] of Object.entries(stored)) {
      if (!wanted(key)) {
        continue;
      }
      try {
        if (!Array.isArray(members) || !members.every((id) => typeof id === 'string')) {
          throw new Error('its members are not a list of target ids');
        }
        this.groups.set(key, { members, detector: PeerGroupDetector.fromState(state) });
      } catch (err) {
        logger.warn({ watch, group: key, err: messageOf(err) }, 'stored peer group unreadable; relearning it');
      }
    }
  }

  /** The detector keys (group and signal) of these targets' groups. */
  private detectorKeys(targets: Iterable<Record<string, string>>): Set<string> {
    const keys = new Set<string>();
    if (this.labels) {
      for (const labels of targets) {
        const group = peerGroupKey(this.labels, labels);
        for (const signal of this.signals) {
          keys.add(detectorKey(group, signal));
        }
      }
    }
    return keys;
  }

  /** Drops the groups a forgotten target belonged to: a group without it starts afresh anyway. */
  forget(forgotten: Set<string>): void {
    if (forgotten.size === 0) {
      return;
    }
    for (const [key, { members }] of this.groups) {
      if (members.some((id) => forgotten.has(id))) {
        this.groups.delete(key);
        this.scored.delete(key);
        this.dropped.add(key);
      }
    }
  }

  /**
   * The groups to checkpoint: those this replica scored (the store merges them by group into what
   * others wrote), or undefined for a watch without peers (the stored value stays).
   */
  toStore(): StoredPeers | undefined {
    if (!this.labels) {
      return undefined;
    }
    return Object.fromEntries(
      [...this.scored].map((key) => {
        const { members, detector } = this.groups.get(key)!;
        return [key, { members, state: detector.toState() }];
      })
    );
  }

  /** The groups dropped since the last call, for the checkpoint to delete from the store. */
  takeDropped(): string[] {
    const keys = [...this.dropped];
    this.dropped.clear();
    return keys;
  }

  /** The answer's targets (those with series in it) grouped by the peer labels (groups of 3 or more can tell an outlier). */
  of(aligned: StepValues): ChunkPeerGroup[] {
    const labels = this.labels;
    if (!labels) {
      return [];
    }
    const byKey = new Map<string, ChunkPeerGroup['members']>();
    for (let slot = 0; slot < aligned.present; slot++) {
      const target = aligned.targets[slot];
      const key = peerGroupKey(labels, target.labels);
      byKey.set(key, [...(byKey.get(key) ?? []), { target, slot }]);
    }
    return [...byKey.entries()]
      .filter(([, m]) => m.length >= 3)
      .map(([key, members]) => ({ key, members: members.sort((a, b) => a.target.id.localeCompare(b.target.id)) }));
  }

  /** Scores one step (`aligned` holds the members' values at it); returns each member's highest peer score. */
  score(chunkGroups: ChunkPeerGroup[], aligned: StepValues): Map<string, PeerScore> {
    const out = new Map<string, PeerScore>();
    for (const { key, members } of chunkGroups) {
      for (const signal of this.signals) {
        const memberIds = members.map((m) => m.target.id);
        const dk = detectorKey(key, signal);
        let entry = this.groups.get(dk);
        if (!entry || entry.members.length !== memberIds.length || entry.members.some((id, i) => id !== memberIds[i])) {
          entry = {
            members: memberIds,
            detector: new PeerGroupDetector(members.length, { scaleSmoothing: PEER_SCALE_SMOOTHING }),
          };
          this.groups.set(dk, entry);
        }
        this.scored.add(dk);
        this.dropped.delete(dk);
        const values = members.map((m) => {
          const k = m.target.signals.findIndex((s) => s.spec.name === signal);
          return k >= 0 ? aligned.value(m.slot, k) : NaN;
        });
        const scores = entry.detector.update(values);
        members.forEach((m, i) => {
          const prev = out.get(m.target.id);
          if (!prev || scores[i] > prev.score) {
            out.set(m.target.id, { score: scores[i], signal });
          }
        });
      }
    }
    return out;
  }
}
