/**
 * Keys → shards → replicas, as pure functions of the membership: `shardOf` and `ownerOf`
 * (rendezvous, or highest-random-weight, hashing). Every replica computes the same assignment from
 * the same member list, with no coordination; when a replica joins or leaves, only the shards it
 * gains or held move.
 *
 * @module
 */

/** 32-bit FNV-1a of a string's UTF-16 code units, finished with a murmur3 mix for spread. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shard (0 … shards − 1) a key belongs to. */
export function shardOf(key: string, shards: number): number {
  return shards === 1 ? 0 : hash32(key) % shards;
}

/**
 * The member that owns `shard`: the one with the highest weight `hash32(member, shard)` (ties, which
 * need equal hashes, go to the smaller name). Undefined when there are no members.
 */
export function ownerOf(shard: number, members: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const member of members) {
    const weight = hash32(`${member}\u0000${shard}`);
    if (weight > bestWeight || (weight === bestWeight && best !== undefined && member < best)) {
      best = member;
      bestWeight = weight;
    }
  }
  return best;
}
