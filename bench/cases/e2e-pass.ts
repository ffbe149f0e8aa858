/**
 * Benchmark 31 (issue 14): one pass per change, end to end. K resources are created in a store while a
 * loop runs; each pass writes one status field. Reports passes per resource (goal exactly 1.00) and µs
 * per resource from the first create to the loop being idle, against a hand-written loop doing the
 * same work: a `Map` store that calls back on each write, a hand-written keyed queue, and a pass that
 * writes the status field into the Map (status writes do not call back, as a careful hand-written
 * loop would arrange).
 *
 * Modes: `library` (defineLoop, memory store, conditions on — the default), `noConditions`
 * (`conditions: false`), `baseline`, and `isolating`: the hand-written loop over a `Map` store that
 * isolates what it keeps as the memory store does — each write stores a deep-frozen copy
 * (`structuredClone`) with a new version and timestamp, and a read returns the frozen stored object —
 * to show how much of the gap is that isolation rather than the loop.
 */
import { Outcome, createMemoryStore } from 'rx-reconcile';
import * as lib from 'rx-reconcile';
import { deepFreeze } from '../../src/plain-data.js';
import { KeyedQueue } from '../baselines/keyed-queue.js';
import { noViolations, nowNs, readParams, runCase, within } from '../lib/util.js';

const p = readParams({ mode: 'library' as 'library' | 'noConditions' | 'baseline' | 'isolating', K: 20_000, workers: 16 });

interface Spec {
  readonly title: string;
  readonly n: number;
}
interface Status {
  phase?: string;
}

async function library(conditions: boolean) {
  const store = createMemoryStore();
  let passes = 0;
  const loop = lib.defineLoop<Spec, Status>({
    name: 'e2e',
    store,
    kind: 'Item',
    workers: p.workers,
    conditions,
    async reconcile(_request, ctx) {
      passes += 1;
      const item = await ctx.get();
      if (item !== undefined) await ctx.updateStatus(item, (s) => void (s.phase = 'Ready'));
      return Outcome.converged();
    },
  });
  await loop.whenIdle();
  const t0 = nowNs();
  for (let i = 0; i < p.K; i++) await store.create<Spec, Status>('Item', { metadata: { name: `item-${i}` }, spec: { title: `item ${i}`, n: i } });
  const idle = await within(loop.whenIdle(), 120_000);
  const ns = nowNs() - t0;
  const ready = (await store.list<Spec, Status>('Item')).filter((r) => r.status?.phase === 'Ready').length;
  await loop.stop();
  return { ns, passes, ready, idle };
}

/** The hand-written loops' run: K creates, then the time until the queue is idle, and the rows made Ready. */
async function createAll(
  create: (key: string, spec: Spec) => Promise<void>,
  queue: KeyedQueue,
  rows: ReadonlyMap<string, { readonly status: Status }>,
): Promise<{ ns: number; ready: number; idle: boolean }> {
  const t0 = nowNs();
  for (let i = 0; i < p.K; i++) await create(`item-${i}`, { title: `item ${i}`, n: i });
  const idle = await within(queue.whenIdle(), 120_000);
  const ns = nowNs() - t0;
  const ready = [...rows.values()].filter((r) => r.status.phase === 'Ready').length;
  return { ns, ready, idle };
}

async function baseline() {
  type Row = { spec: Spec; status: Status; generation: number };
  const rows = new Map<string, Row>();
  let passes = 0;
  const queue = new KeyedQueue(async (key) => {
    passes += 1;
    const row = rows.get(key);
    if (row !== undefined && row.status.phase !== 'Ready') row.status = { ...row.status, phase: 'Ready' };
  }, p.workers);
  /** The store: creates call back (the watch); status writes do not. */
  const create = async (key: string, spec: Spec): Promise<void> => {
    rows.set(key, { spec, status: {}, generation: 1 });
    queue.add(key);
  };
  return { ...(await createAll(create, queue, rows)), passes };
}

async function isolating() {
  type Row = { readonly spec: Spec; readonly status: Status; readonly generation: number; readonly version: number; readonly updatedAt: string };
  const rows = new Map<string, Row>();
  let version = 0;
  let passes = 0;
  /** A write: a deep-frozen copy of what the caller gave, with a new version and timestamp. */
  const put = (key: string, spec: Spec, status: Status, generation: number): void => {
    rows.set(key, deepFreeze(structuredClone({ spec, status, generation, version: ++version, updatedAt: new Date().toISOString() })));
  };
  const queue = new KeyedQueue(async (key) => {
    passes += 1;
    const row = rows.get(key);
    if (row !== undefined && row.status.phase !== 'Ready') put(key, row.spec, { ...row.status, phase: 'Ready' }, row.generation);
  }, p.workers);
  /** Creates call back (the watch); status writes do not. */
  const create = async (key: string, spec: Spec): Promise<void> => {
    put(key, spec, {}, 1);
    queue.add(key);
  };
  return { ...(await createAll(create, queue, rows)), passes };
}

runCase(async () => {
  const r = p.mode === 'baseline' ? await baseline() : p.mode === 'isolating' ? await isolating() : await library(p.mode === 'library');
  const v = noViolations();
  if (r.ready !== p.K || !r.idle) v.other += 1;
  return {
    metrics: { mode: p.mode, K: p.K, usPerResource: r.ns / 1000 / p.K, passesPerResource: r.passes / p.K, ready: r.ready },
    violations: v,
  };
});
