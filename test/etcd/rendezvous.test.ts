/**
 * Keys → shards → replicas (`shardOf`, `assignShards`): pure functions of the member list, checked
 * as properties: every replica computes the same owners, shares differ by one shard at most, and a
 * join or a leave moves little more than the shards it gains or held.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignShards, shardOf } from '../../etcd/rendezvous.js';

const member = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
const memberList = fc.uniqueArray(member, { minLength: 1, maxLength: 9 });
const shardCount = fc.integer({ min: 1, max: 200 });

describe('shardOf and assignShards', () => {
  it('give every shard one owner among the members, the same whatever the order of the list, with shares differing by one at most', () => {
    fc.assert(
      fc.property(shardCount, memberList, (shards, members) => {
        const owners = assignShards(shards, members);
        expect(owners).toHaveLength(shards);
        expect(owners.every((o) => members.includes(o))).toBe(true);
        expect(assignShards(shards, [...members].reverse())).toEqual(owners);
        const counts = members.map((m) => owners.filter((o) => o === m).length);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('move about the shards a leaving member held (and a joining one gains) when the membership changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 16, max: 200 }), fc.uniqueArray(member, { minLength: 2, maxLength: 8 }), (shards, members) => {
        const before = assignShards(shards, members);
        const gone = members[0] as string;
        const after = assignShards(shards, members.slice(1));
        const held = before.filter((o) => o === gone).length;
        const moved = before.filter((o, i) => o !== after[i]).length;
        expect(moved).toBeGreaterThanOrEqual(held);
        expect(moved).toBeLessThanOrEqual(held + Math.ceil(shards / members.length) + members.length);
      }),
    );
  });

  it('shardOf is stable and in range; one shard is single-leader mode; no members, no owners', () => {
    fc.assert(
      fc.property(fc.string(), shardCount, (key, shards) => {
        const shard = shardOf(key, shards);
        expect(shard).toBe(shardOf(key, shards));
        expect(shard >= 0 && shard < shards && Number.isInteger(shard)).toBe(true);
      }),
    );
    expect(shardOf('anything', 1)).toBe(0);
    expect(assignShards(8, [])).toEqual([]);
    expect(assignShards(4, ['a', 'a', 'b']).filter((o) => o === 'a')).toHaveLength(2);
  });
});
