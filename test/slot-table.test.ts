import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KeyState } from '../src/key-state.js';
import { SlotTable } from '../src/slot-table.js';

/**
 * The key table keeps a forgotten key's map entry as a tombstone until its slot is given to another
 * key. These guard the failures that design invites: a tombstone answering for a key that is gone, a
 * reused slot answering for its previous key (a trigger collapsed into another key's pass), and
 * tombstones piling up without bound.
 */
describe('SlotTable', () => {
  it('a forgotten key has no record, and its slot given to another key does not answer for it', () => {
    const table = new SlotTable();
    const keep = table.add('keep', 'watch', undefined);
    const a = table.add('a', 'watch', undefined);
    table.hot[a.slot] = 1;
    table.remove(a);
    expect(table.get('a')).toBeUndefined();
    expect(table.hot[a.slot]).toBe(0);
    const b = table.add('b', 'watch', undefined);
    expect(b.slot).toBe(a.slot); // reused
    table.hot[b.slot] = 1;
    expect(table.get('a')).toBeUndefined();
    expect(table.slots.has('a')).toBe(false); // its tombstone went with the slot
    expect(table.get('b')).toBe(b);
    expect(table.get('keep')).toBe(keep);
    expect(table.size).toBe(2);
  });

  it('a key that came back in another slot is not deleted when its old slot is reused', () => {
    const table = new SlotTable();
    table.add('keep', 'watch', undefined);
    const a = table.add('a', 'watch', undefined);
    const x = table.add('x', 'watch', undefined);
    table.remove(a); // free: [a]
    table.remove(x); // free: [a, x]
    const a2 = table.add('a', 'watch', undefined); // takes x's slot
    expect(a2.slot).toBe(x.slot);
    const c = table.add('c', 'watch', undefined); // takes a's old slot, whose tombstone is stale
    expect(c.slot).toBe(a.slot);
    expect(table.get('a')).toBe(a2);
    expect(table.get('c')).toBe(c);
    expect(table.get('x')).toBeUndefined();
  });

  it('drops its tombstones once they outnumber the live keys, before the next key takes a slot (the map does not grow as new keys take freed slots)', () => {
    const table = new SlotTable();
    const all: KeyState[] = [];
    for (let i = 0; i < 1000; i++) all.push(table.add(`k${i}`, 'watch', undefined));
    const map = table.slots;
    for (const st of all.slice(100)) table.remove(st);
    expect(table.size).toBe(100);
    // Keys only leaving (a burst draining) rebuild nothing: the map may be dropped whole soon.
    expect(table.slots).toBe(map);
    for (const st of all.slice(0, 100)) expect(table.get(st.key)).toBe(st);
    for (const st of all.slice(100)) expect(table.get(st.key)).toBeUndefined();
    table.add('first-new', 'watch', undefined);
    expect(table.slots.size).toBeLessThanOrEqual(4 * 100 + 64 + 1);
    table.remove(table.get('first-new') as KeyState);
    // New keys take the freed slots; the map holds live keys and at most a bounded number of tombstones.
    for (let i = 0; i < 900; i++) table.add(`n${i}`, 'watch', undefined);
    expect(table.size).toBe(1000);
    expect(table.slots.size).toBe(1000);
    expect(table.records.length).toBe(1000);
  });

  it('agrees with a plain Map under any sequence of adds and removes, and never holds more entries than slots', () => {
    const keyArb = fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`);
    const opArb = fc.oneof(
      fc.record({ op: fc.constant('add' as const), key: keyArb }),
      fc.record({ op: fc.constant('remove' as const), key: keyArb }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const table = new SlotTable();
        const model = new Map<string, KeyState>();
        for (const { op, key } of ops) {
          const st = model.get(key);
          if (op === 'add' && st === undefined) {
            const added = table.add(key, 'watch', undefined);
            table.hot[added.slot] = 1;
            model.set(key, added);
          } else if (op === 'remove' && st !== undefined) {
            table.remove(st);
            model.delete(key);
          }
          expect(table.size).toBe(model.size);
          expect(table.slots.size).toBeLessThanOrEqual(Math.max(table.records.length, 0));
          for (let i = 0; i <= 40; i++) {
            const k = `k${i}`;
            const expected = model.get(k);
            expect(table.get(k)).toBe(expected);
            const slot = table.slots.get(k);
            // The queue's hot path: a key is "waiting in the high lane" only through its own slot.
            if (expected === undefined && slot !== undefined) expect(table.hot[slot]).toBe(0);
          }
          const seen: KeyState[] = [];
          table.forEach((s) => seen.push(s));
          expect(seen.map((s) => s.key).sort()).toEqual([...model.keys()].sort());
        }
      }),
      { numRuns: 300 },
    );
  });
});
