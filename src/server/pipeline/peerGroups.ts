import { messageOf } from '../../utils/messageOf';
import type { Logger } from 'pino';
import { PeerGroupDetector } from '../../detection';
import { StoredRowError } from '../store/rows';
import type { AlignedTarget } from './alignment';
import type { StoredPeers } from './store/repository';

/** Peer groups are often 3-4 replicas, whose spread at one step says little: average it over ~50 steps. */
const PEER_SCALE_SMOOTHING = 0.02;

/** The key of a target's peer group: its values of the watch's peer labels (`deployment=web,...`). */
export function peerGroupKey(peerLabels: readonly string[], targetLabels: Record<string, string>): string {
  return peerLabels.map((l) => `${l}=${targetLabels[l] ?? ''}`).join(',');
}

/** The targets of one chunk that share the watch's peer labels, sorted by id. */
export interface ChunkPeerGroup {
  key: string;
  members: AlignedTarget[];
}

/** A target's departure from its replicas at one step: its highest peer score and the signal it came from. */
export type PeerScore = { score: number; signal: string };

/**
 * The peer-group detectors of one watch, per group key and signal: which targets each group had
 * (in order) when its detector learned. A group whose membership changes starts afresh.
 */
export class PeerGroups {
  private readonly groups = new Map<string, { members: string[]; detector: PeerGroupDetector }>();

  constructor(
    /** The watch's peer labels; undefined for a watch without peer groups. */
    private readonly labels: string[] | undefined,
    private readonly signals: string[]
  ) {}

  /** Restores the stored groups (in place of any held); an unreadable group (or all of them) is relearned, with a warning. */
  async restore(load: () => Promise<StoredPeers>, logger: Logger, watch: string): Promise<void> {
    this.groups.clear();
    let stored: StoredPeers;
    try {
      stored = await load();
    } catch (err) {
      // A row of another shape is relearned; a store that does not answer fails the restore, which is tried again.
      if (!(err instanceof StoredRowError)) {
        throw err;
      }
      logger.warn({ watch, err: messageOf(err) }, 'stored peer groups unreadable; relearning them');
      return;
    }
    for (const [key, { members, state }] of Object.entries(stored)) {
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

  /** Drops the groups a forgotten target belonged to: a group without it starts afresh anyway. */
  forget(forgotten: Set<string>): void {
    if (forgotten.size === 0) {
      return;
    }
    for (const [key, { members }] of this.groups) {
      if (members.some((id) => forgotten.has(id))) {
        this.groups.delete(key);
      }
    }
  }

  /** The groups to checkpoint, or undefined for a watch without peers (the stored value stays). */
  toStore(): StoredPeers | undefined {
    if (!this.labels) {
      return undefined;
    }
    return Object.fromEntries(
      [...this.groups].map(([key, { members, detector }]) => [key, { members, state: detector.toState() }])
    );
  }

  /** Targets of a chunk grouped by the peer labels (groups of 3 or more can tell an outlier). */
  of(targets: Iterable<AlignedTarget>): ChunkPeerGroup[] {
    const labels = this.labels;
    if (!labels) {
      return [];
    }
    const byKey = new Map<string, AlignedTarget[]>();
    for (const a of targets) {
      const key = peerGroupKey(labels, a.target.labels);
      byKey.set(key, [...(byKey.get(key) ?? []), a]);
    }
    return [...byKey.entries()]
      .filter(([, m]) => m.length >= 3)
      .map(([key, members]) => ({ key, members: members.sort((a, b) => a.target.id.localeCompare(b.target.id)) }));
  }

  /** Scores one step (the members' values are aligned to it); returns each member's highest peer score. */
  score(chunkGroups: ChunkPeerGroup[]): Map<string, PeerScore> {
    const out = new Map<string, PeerScore>();
    for (const { key, members } of chunkGroups) {
      for (const signal of this.signals) {
        const memberIds = members.map((m) => m.target.id);
        const detectorKey = `${key}/${signal}`;
        let entry = this.groups.get(detectorKey);
        if (!entry || entry.members.length !== memberIds.length || entry.members.some((id, i) => id !== memberIds[i])) {
          entry = {
            members: memberIds,
            detector: new PeerGroupDetector(members.length, { scaleSmoothing: PEER_SCALE_SMOOTHING }),
          };
          this.groups.set(detectorKey, entry);
        }
        const values = members.map((m) => {
          const i = m.target.signals.findIndex((s) => s.spec.name === signal);
          return i >= 0 ? m.values[i] : NaN;
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
