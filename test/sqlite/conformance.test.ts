/**
 * The store conformance suite (`checkStoreConformance` of rx-reconcile/testing) against both stores
 * of the library: the memory store, and the SQLite store on temp files with a second handle (a second
 * connection to the same file).
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore } from 'rx-reconcile';
import { createSqliteStore } from 'rx-reconcile/sqlite';
import { checkStoreConformance } from 'rx-reconcile/testing';
import { storePropertyNames } from '../../testing/check-store-conformance.js';
import type { MakeStore } from '../../testing/store-harness.js';

const makeMemory: MakeStore = ({ kinds, history, maxResourceBytes }) => ({
  store: createMemoryStore({ kinds, ...(history === undefined ? {} : { history }), ...(maxResourceBytes === undefined ? {} : { maxResourceBytes }) }),
});

/** A SQLite store on a fresh temp file; `synchronous: NORMAL` keeps the many short runs fast (durability has its own test). */
const makeSqlite: MakeStore = async ({ kinds, history, maxResourceBytes }) => {
  const dir = await mkdtemp(join(tmpdir(), 'rx-sqlite-conformance-'));
  const path = join(dir, 'store.db');
  const open = (withHistory: boolean) =>
    createSqliteStore({
      path,
      kinds,
      synchronous: 'NORMAL',
      pollInterval: 5,
      ...(withHistory && history !== undefined ? { history } : {}),
      ...(maxResourceBytes === undefined ? {} : { maxResourceBytes }),
    });
  const store = open(true);
  return {
    store,
    openSecond: () => {
      const second = open(false);
      return { store: second, cleanup: () => second.close() };
    },
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

const capabilities = { history: true, maxResourceBytes: true };

describe('checkStoreConformance', () => {
  it('the memory store keeps the store contract', async () => {
    const report = await checkStoreConformance(makeMemory, { capabilities, numRuns: 30 });
    expect(report.properties.map((p) => p.name)).toEqual(storePropertyNames);
    expect(report.properties.find((p) => p.skipped !== undefined)?.name).toBe('a second handle on the same data sees writes and keeps compare-and-set');
  });

  it('the SQLite store keeps the store contract, across two connections too', async () => {
    const report = await checkStoreConformance(makeSqlite, { capabilities, numRuns: 10 });
    expect(report.properties.filter((p) => p.skipped !== undefined)).toEqual([]);
  });
});
