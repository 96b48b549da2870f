/**
 * Which live replica watches a target: rendezvous (highest-random-weight) hashing, Thaler and
 * Ravishankar's "Using name-based mappings to increase hit rates" (1998). Every replica computes
 * the same owner from the same member list with no coordination beyond that list; a member that
 * leaves gives up only its own targets (each to the member that ranked second for it) and one that
 * joins takes about 1/N of everyone's.
 *
 * Pure: no I/O, no clock; the hash is fixed here so replicas of different builds agree.
 */

/** FNV-1a over the UTF-16 code units, 32 bits. */
function fnv1a(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: FNV-1a alone mixes its last characters poorly, which skews the weights. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const OFFSET_BASIS = 0x811c9dc5;

/** The weight of a member for a target: the member's hash seeds the target's, so pairs are independent. */
export function weight(targetId: string, member: string): number {
  return mix(fnv1a(targetId, mix(fnv1a(member, OFFSET_BASIS))));
}

/**
 * The member that watches `targetId`: the one with the highest weight (ties, vanishingly rare, go
 * to the smaller name so every replica still agrees). Undefined when there are no members.
 */
export function ownerOf(targetId: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const m of members) {
    const w = weight(targetId, m);
    if (w > bestWeight || (w === bestWeight && best !== undefined && m < best)) {
      best = m;
      bestWeight = w;
    }
  }
  return best;
}
