/**
 * Keys → shards → replicas, as pure functions of the membership: `shardOf` and `assignShards`
 * (rendezvous, or highest-random-weight, hashing with bounded load). Every replica computes the same
 * assignment from the same member list, with no coordination.
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
 * The owner of every shard (index = shard): each shard goes to the member that ranks it highest
 * (`hash32(member, shard)`, ties to the smaller name) among those with room left, where room keeps
 * every member's count at ⌊shards / members⌋ or one more. So the shares differ by one shard at most
 * (plain rendezvous hashing can give one replica twice another's), and a join or a leave moves about
 * the shards it gains or held. Empty when there are no members.
 */
export function assignShards(shards: number, members: readonly string[]): string[] {
  const names = [...new Set(members)].sort();
  if (names.length === 0) return [];
  const floor = Math.floor(shards / names.length);
  let larger = shards - floor * names.length; // how many members may hold floor + 1
  const load = new Map<string, number>(names.map((m) => [m, 0]));
  const owners = new Array<string>(shards);
  for (let shard = 0; shard < shards; shard++) {
    const ranked = names.map((member) => ({ member, weight: hash32(`${member}\u0000${shard}`) }));
    ranked.sort((x, y) => y.weight - x.weight || (x.member < y.member ? -1 : 1));
    for (const { member } of ranked) {
      const held = load.get(member) as number;
      if (held < floor || (held === floor && larger > 0)) {
        if (held === floor) larger--;
        load.set(member, held + 1);
        owners[shard] = member;
        break;
      }
    }
  }
  return owners;
}
