/**
 * The memory and SQLite stores keep one set of rules.
 *
 * - Identifiers are well-formed text. Regression: a name holding a lone UTF-16 surrogate was
 *   acknowledged by the SQLite store, found by `get`, and then missing from `list`, `watch` and the
 *   re-list after a restart (the driver stored it as other characters than the document held).
 * - The size limit is one rule for both stores. Regression: once the memory store carried a
 * snapshot's size without its status from the copy's running estimate (8 characters per number,
 * escapes not counted), it refused status writes the SQLite store (which measures the JSON it reads
 * back) accepted.
 */
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ResourceTooLargeError, createMemoryStore } from 'rx-reconcile';
import type { Store } from 'rx-reconcile';
import { createSqliteStore } from 'rx-reconcile/sqlite';

async function statusWrites(store: Store, spec: unknown, statuses: readonly unknown[]): Promise<string[]> {
  const outcomes: string[] = [];
  const named = (error: unknown) => (error instanceof ResourceTooLargeError ? 'too large' : String(error));
  let current;
  try {
    current = await store.create('Doc', { metadata: { name: 'd' }, spec });
  } catch (error) {
    return [`create: ${named(error)}`];
  }
  for (const status of statuses) {
    try {
      current = await store.updateStatus({ ...current, status });
      outcomes.push('written');
    } catch (error) {
      outcomes.push(named(error));
    }
  }
  return outcomes;
}

describe('the size limit on status writes', () => {
  const cases: [string, unknown][] = [
    ['a spec of 1,000 small numbers (its JSON is shorter than the copy counts)', { v: Array.from({ length: 1000 }, () => 0) }],
    ['a spec of 3,000 quotes (its JSON is longer than the copy counts)', { v: '"'.repeat(3000) }],
  ];
  for (const [what, spec] of cases) {
    it(`is the same in the memory and SQLite stores: ${what}`, async () => {
      const statuses = [{ note: 'x'.repeat(1000) }, { note: 'x'.repeat(100) }, { note: 'x'.repeat(2500) }, { note: 'x'.repeat(6500) }];
      for (const limit of [4000, 9000, 12000]) {
        const memory = await statusWrites(createMemoryStore({ maxResourceBytes: limit }), spec, statuses);
        const sqlite = createSqliteStore({ path: ':memory:', maxResourceBytes: limit });
        try {
          expect(await statusWrites(sqlite, spec, statuses), `limit ${limit}`).toEqual(memory);
        } finally {
          await sqlite.close();
        }
      }
    });
  }
});

describe('identifiers that are not well-formed text', () => {
  const stores = (): [string, Store][] => [
    ['memory', createMemoryStore()],
    ['sqlite', createSqliteStore({ path: ':memory:' })],
  ];
  it('are refused by create, get and delete in both stores, naming the field; whole characters (emoji) round-trip', async () => {
    for (const [name, store] of stores()) {
      try {
        await expect(store.create('Doc', { metadata: { name: 'bad\ud800' }, spec: {} }), name).rejects.toThrow(/metadata\.name .* lone UTF-16 surrogate at index 3/);
        await expect(store.create('Doc', { metadata: { name: 'ok', namespace: '\udc00ns' }, spec: {} }), name).rejects.toThrow(/metadata\.namespace/);
        await expect(store.create('Doc\ud83d', { metadata: { name: 'ok' }, spec: {} }), name).rejects.toBeInstanceOf(InvalidArgumentError);
        await expect(store.get('Doc', 'x\ud800'), name).rejects.toThrow(/key .* lone UTF-16 surrogate/);
        await expect(store.delete('Doc', 'x\ud800'), name).rejects.toBeInstanceOf(InvalidArgumentError);
        expect(await store.list('Doc'), name).toEqual([]);
        const emoji = await store.create('Doc', { metadata: { name: 'cake-🎂', namespace: 'ns-😀' }, spec: { s: 'lone \ud800 in data is data' } });
        expect((await store.list('Doc')).map((r) => r.metadata.name), name).toEqual(['cake-🎂']);
        expect(await store.get('Doc', 'ns-😀/cake-🎂'), name).toEqual(emoji);
      } finally {
        await (store as { close?: () => Promise<void> }).close?.();
      }
    }
  });
});
