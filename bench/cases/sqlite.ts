/**
 * Benchmarks 21–26, the SQLite store against plain better-sqlite3 statements doing the same writes in
 * the same process and run (WAL, the same `synchronous` level, the same ~1.3 KB resource JSON):
 * - `create`: sequential durable creates (one commit each) per second;
 * - `batch`: creates called together (one commit per 100) per second;
 * - `noop`: an `updateStatus` with an equal status, µs per call, vs the plain read of the row; and how
 *   many writes it made (must be 0);
 * - `latency`: commit → watch event, in-process (µs) and from another process (ms, a child writing
 *   through the `desired` view);
 * - `relist`: a store opened on a file of K resources: time until its watch says `synced`, vs
 *   `SELECT` + `JSON.parse` of every row; and bytes on disk per resource vs a plain `(key, doc)` table.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSqliteStore } from 'rx-reconcile/sqlite';
import type { SqliteStore } from 'rx-reconcile/sqlite';
import type { NewResource } from 'rx-reconcile';
import type { NewMetadata } from '../../src/types.js';
import { makeResource, makeStatus } from '../lib/resource.js';
import { nowNs, percentileSorted, readParams, runCase } from '../lib/util.js';

const p = readParams({ case: 'create', N: 2000, K: 100_000, batch: 100, synchronous: 'FULL' as 'FULL' | 'NORMAL' });
const none = { overlaps: 0, stale: 0, overLimit: 0, coalescing: 0, other: 0 };
const dir = mkdtempSync(join(tmpdir(), 'rx-bench-sqlite-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const newPath = (): string => join(dir, `b${files++}.db`);
const openStore = (path = newPath()): SqliteStore => createSqliteStore({ path, synchronous: p.synchronous, pollInterval: 10 });
const input = (i: number): NewResource => {
  const r = makeResource(i);
  return { metadata: r.metadata as unknown as NewMetadata, spec: r.spec };
};

/** The baseline: a plain table written with prepared statements, WAL and the same synchronous level. */
function openPlain(path = newPath()) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${p.synchronous}`);
  db.exec('CREATE TABLE docs (key TEXT PRIMARY KEY, doc TEXT NOT NULL)');
  const insert = db.prepare<[string, string]>('INSERT INTO docs (key, doc) VALUES (?, ?)');
  return { db, insert, path };
}

const perSecond = (count: number, ns: number): number => count / (ns / 1e9);

runCase(async () => {
  const metrics: Record<string, number> = {};
  if (p.case === 'create') {
    const store = openStore();
    let t = nowNs();
    for (let i = 0; i < p.N; i++) await store.create('Bench', input(i));
    metrics['libraryPerSecond'] = perSecond(p.N, nowNs() - t);
    await store.close();
    const plain = openPlain();
    t = nowNs();
    for (let i = 0; i < p.N; i++) plain.insert.run(`k${i}`, JSON.stringify(input(i)));
    metrics['baselinePerSecond'] = perSecond(p.N, nowNs() - t);
    plain.db.close();
  } else if (p.case === 'batch') {
    const store = openStore();
    let t = nowNs();
    for (let i = 0; i < p.N; i += p.batch) {
      await Promise.all(Array.from({ length: p.batch }, (_, j) => store.create('Bench', input(i + j))));
    }
    metrics['libraryPerSecond'] = perSecond(p.N, nowNs() - t);
    await store.close();
    const plain = openPlain();
    const many = plain.db.transaction((from: number) => {
      for (let j = 0; j < p.batch; j++) plain.insert.run(`k${from + j}`, JSON.stringify(input(from + j)));
    });
    t = nowNs();
    for (let i = 0; i < p.N; i += p.batch) many(i);
    metrics['baselinePerSecond'] = perSecond(p.N, nowNs() - t);
    plain.db.close();
  } else if (p.case === 'noop') {
    const store = openStore();
    const created = await store.create('Bench', input(1));
    const withStatus = await store.updateStatus({ ...created, status: makeStatus(1) });
    const before = store.revision;
    const walBefore = statSync(`${store.path}-wal`).size;
    const t = nowNs();
    for (let i = 0; i < p.N; i++) await store.updateStatus({ ...withStatus, status: makeStatus(1) });
    metrics['libraryUs'] = (nowNs() - t) / p.N / 1000;
    metrics['writes'] = store.revision - before + (statSync(`${store.path}-wal`).size - walBefore);
    await store.close();
    const plain = openPlain();
    plain.insert.run('k1', JSON.stringify({ ...input(1), status: makeStatus(1) }));
    const read = plain.db.prepare<[string], { doc: string }>('SELECT doc FROM docs WHERE key = ?');
    const t2 = nowNs();
    for (let i = 0; i < p.N; i++) {
      await Promise.resolve();
      JSON.parse((read.get('k1') as { doc: string }).doc);
    }
    metrics['baselineUs'] = (nowNs() - t2) / p.N / 1000;
    plain.db.close();
  } else if (p.case === 'latency') {
    // In-process: from the write's commit (its Promise resolving) to the watch event.
    const store = openStore();
    const committed = new Map<string, number>();
    const samples: number[] = [];
    store.watch('Bench').subscribe((e) => {
      if (e.type === 'added') samples.push(nowNs() - (committed.get(e.object.metadata.name) ?? Number.NaN));
    });
    for (let i = 0; i < p.N; i++) {
      const resource = input(i);
      await store.create('Bench', resource).then(() => committed.set(resource.metadata.name, nowNs()));
      await new Promise((resolve) => setImmediate(resolve));
    }
    samples.sort((a, b) => a - b);
    metrics['inProcessP50Us'] = percentileSorted(samples, 50) / 1000;
    metrics['inProcessP99Us'] = percentileSorted(samples, 99) / 1000;
    // The plain commit of the same write, for scale.
    const plain = openPlain();
    const commits: number[] = [];
    for (let i = 0; i < Math.min(p.N, 300); i++) {
      const t = nowNs();
      plain.insert.run(`k${i}`, JSON.stringify(input(i)));
      commits.push(nowNs() - t);
    }
    commits.sort((a, b) => a - b);
    metrics['plainCommitP99Us'] = percentileSorted(commits, 99) / 1000;
    plain.db.close();
    // Another process writes through the desired view every 20 ms; latency from its commit to our event.
    const lag: number[] = [];
    const writes = Math.max(10, Math.round(p.N / 20));
    store.watch('Remote').subscribe((e) => {
      if (e.type === 'added' && !e.initial) lag.push(Date.now() - Date.parse(e.object.metadata.creationTimestamp));
    });
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(store.path)}, { timeout: 5000 });
      let i = 0;
      const timer = setInterval(() => {
        db.prepare("INSERT INTO desired (kind, name, spec) VALUES ('Remote', ?, '{}')").run('r' + i);
        if (++i >= ${writes}) { clearInterval(timer); db.close(); }
      }, 20);`;
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer exited ${code}`))));
    });
    const deadline = Date.now() + 5000;
    while (lag.length < writes && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    lag.sort((a, b) => a - b);
    metrics['otherProcessP50Ms'] = percentileSorted(lag, 50);
    metrics['otherProcessP99Ms'] = percentileSorted(lag, 99);
    metrics['otherProcessSeen'] = lag.length / writes;
    await store.close();
  } else if (p.case === 'relist') {
    const path = newPath();
    const filling = openStore(path);
    for (let i = 0; i < p.K; i += 1000) {
      await Promise.all(Array.from({ length: Math.min(1000, p.K - i) }, (_, j) => filling.create('Bench', input(i + j))));
    }
    await filling.close();
    execFileSync(process.execPath, ['-e', `const D=require('better-sqlite3');const d=new D(${JSON.stringify(path)});d.pragma('wal_checkpoint(TRUNCATE)');d.close();`]);
    metrics['libraryBytesPerResource'] = statSync(path).size / p.K;
    let t = nowNs();
    const store = openStore(path);
    let listed = 0;
    await new Promise<void>((resolve) => {
      const subscription = store.watch('Bench').subscribe((e) => {
        if (e.type === 'synced') {
          resolve();
          queueMicrotask(() => subscription.unsubscribe());
        } else listed++;
      });
    });
    metrics['libraryRelistMs'] = (nowNs() - t) / 1e6;
    metrics['listed'] = listed;
    await store.close();
    // Baseline: the same documents in a plain (key, doc) table, read back and parsed.
    const plain = openPlain();
    const fill = plain.db.transaction((from: number) => {
      for (let j = from; j < Math.min(from + 1000, p.K); j++) {
        const r = input(j);
        const doc = { kind: 'Bench', metadata: { ...r.metadata, version: '1', revision: 1, generation: 1, uid: 'x'.repeat(36), creationTimestamp: new Date(0).toISOString() }, spec: r.spec };
        plain.insert.run(`k${j}`, JSON.stringify(doc));
      }
    });
    for (let i = 0; i < p.K; i += 1000) fill(i);
    plain.db.pragma('wal_checkpoint(TRUNCATE)');
    plain.db.close();
    metrics['baselineBytesPerResource'] = statSync(plain.path).size / p.K;
    t = nowNs();
    const db = new Database(plain.path);
    let parsed = 0;
    for (const row of db.prepare<[], { doc: string }>('SELECT doc FROM docs ORDER BY key').iterate()) parsed += JSON.parse(row.doc) ? 1 : 0;
    metrics['baselineRelistMs'] = (nowNs() - t) / 1e6;
    metrics['docBytes'] = JSON.stringify(input(1)).length;
    db.close();
    if (parsed !== listed) throw new Error(`listed ${listed}, parsed ${parsed}`);
  } else throw new Error(`unknown case ${p.case}`);
  return { metrics, violations: none };
});
