/**
 * What the SQLite store adds to the store contract (the contract itself: conformance.test.ts):
 * options, persistence and revisions across reopen, close, the poll of other connections' writes
 * (only while watched), the `desired` view for the sqlite3 tool, malformed rows written around the
 * store, foreign files, and writes committed together.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { VirtualTimeScheduler } from 'rxjs';
import { z } from 'zod';
import { CompactedError, InvalidArgumentError, StoreClosedError } from 'rx-reconcile';
import { MalformedResourceError } from '../../src/errors.js';
import type { Logger, WatchEvent } from 'rx-reconcile';
import type { LogFields } from '../../src/ports.js';
import { createSqliteStore } from 'rx-reconcile/sqlite';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rx-sqlite-store-'));
  path = join(dir, 'store.db');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const line = (e: WatchEvent): string =>
  e.type === 'synced'
    ? `synced@${e.revision}`
    : `${e.type}${e.initial ? '*' : ''} ${e.object.metadata.name}@${e.object.metadata.revision} gen=${e.object.metadata.generation}` +
      (e.type === 'modified' ? ` old@${e.old?.metadata.revision}` : '');

/** Runs the virtual clock `ms` forward (flush alone would poll forever: the poll runs while watched). */
function advance(scheduler: VirtualTimeScheduler, ms: number): void {
  scheduler.maxFrames = scheduler.frame + ms;
  scheduler.flush();
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function recordingLogger(): Logger & { warnings: LogFields[] } {
  const warnings: LogFields[] = [];
  const logger = { warnings, debug() {}, info() {}, error() {}, warn: (fields: LogFields) => void warnings.push(fields), child: () => logger };
  return logger;
}

describe('createSqliteStore: options', () => {
  it('refuses bad options when made, naming the option and the fix', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /path/],
      [{ path: '' }, /path/],
      [{ path, synchronous: 'OFF' }, /synchronous.*'FULL'/],
      [{ path, history: -1 }, /history/],
      [{ path, history: 1.5 }, /history/],
      [{ path, pollInterval: 0 }, /pollInterval/],
      [{ path, pollInterval: Number.NaN }, /pollInterval/],
      [{ path, pollInterval: Number.POSITIVE_INFINITY }, /pollInterval/],
      [{ path, pollInterval: 2 ** 31 }, /pollInterval/],
      [{ path, maxResourceBytes: 10 }, /maxResourceBytes/],
      [{ path, busyTimeout: -5 }, /busyTimeout/],
      [{ path, scheduler: {} }, /scheduler/],
      [{ path, logger: 'console' }, /logger/],
      [{ path, pollIntervall: 10 }, /unknown option.*pollIntervall/],
    ];
    for (const [options, message] of bad) {
      expect(() => createSqliteStore(options as never), JSON.stringify(options)).toThrow(InvalidArgumentError);
      expect(() => createSqliteStore(options as never), JSON.stringify(options)).toThrow(message);
    }
    expect(existsSync(path)).toBe(false);
  });

  it('refuses a file that is not an rx-reconcile store, and one written by a newer layout', () => {
    const foreign = new Database(path);
    foreign.exec('CREATE TABLE notes (text TEXT)');
    foreign.close();
    expect(() => createSqliteStore({ path })).toThrow(/is not an rx-reconcile store/);
    const newer = join(dir, 'newer.db');
    createSqliteStore({ path: newer }).close();
    const db = new Database(newer);
    db.pragma('user_version = 99');
    db.close();
    expect(() => createSqliteStore({ path: newer })).toThrow(/newer rx-reconcile/);
  });
});

describe('createSqliteStore: durability and revisions', () => {
  it('keeps resources across close and reopen, in WAL mode with synchronous FULL, and never reuses a revision', async () => {
    const first = createSqliteStore({ path, history: 0, kinds: { Todo: { schema: z.object({ title: z.string(), done: z.boolean().default(false) }) } } });
    const a = await first.create('Todo', { metadata: { name: 'a', labels: { team: 'x' } }, spec: { title: 'A' } });
    await first.delete('Todo', 'a');
    const b = await first.create('Todo', { metadata: { name: 'b', namespace: 'home' }, spec: { title: 'B' } });
    await first.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT count(*) FROM changes').pluck().get()).toBe(0); // history: 0 keeps none
    db.close();
    const second = createSqliteStore({ path });
    expect(await second.get('Todo', 'home/b')).toEqual(b);
    expect(b.spec).toEqual({ title: 'B', done: false });
    expect(second.revision).toBe(3);
    const c = await second.create('Todo', { metadata: { name: 'a' }, spec: { title: 'again' } });
    expect(c.metadata.revision).toBe(4);
    expect(c.metadata.uid).not.toBe(a.metadata.uid);
    await second.close();
  });

  it('commits writes called together in one transaction; a refused one undoes nothing else', async () => {
    const store = createSqliteStore({ path, synchronous: 'FULL' });
    await store.create('T', { metadata: { name: 'taken' }, spec: {} });
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => store.create('T', { metadata: { name: i === 25 ? 'taken' : `n${i}` }, spec: { i } })));
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['ALREADY_EXISTS']);
    const revisions = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.metadata.revision] : []));
    expect(revisions).toEqual(Array.from({ length: 49 }, (_, i) => i + 2));
    expect((await store.list('T')).length).toBe(50);
    await store.close();
  });

  it('a read right after an un-awaited write sees it', async () => {
    const store = createSqliteStore({ path });
    void store.create('T', { metadata: { name: 'a' }, spec: {} });
    expect((await store.get('T', 'a'))?.metadata.revision).toBe(1);
    await store.close();
  });
});

describe('createSqliteStore: close', () => {
  it('is idempotent; running watches complete; afterwards every method rejects with StoreClosedError', async () => {
    const scheduler = new VirtualTimeScheduler();
    const store = createSqliteStore({ path, scheduler });
    const ends: string[] = [];
    store.watch('T').subscribe({ error: () => ends.push('error'), complete: () => ends.push('complete') });
    expect(scheduler.actions.length).toBe(1); // the poll
    const pending = store.create('T', { metadata: { name: 'a' }, spec: {} });
    await store.close();
    await store.close();
    await expect(pending).resolves.toMatchObject({ metadata: { name: 'a' } }); // called before close: committed
    await tick();
    expect(ends).toEqual(['complete']);
    expect(scheduler.actions.length).toBe(0);
    const calls: Promise<unknown>[] = [
      store.get('T', 'a'),
      store.list('T'),
      store.create('T', { metadata: { name: 'b' }, spec: {} }),
      store.update({ kind: 'T', metadata: { name: 'a', version: '1' } as never, spec: {} }),
      store.updateStatus({ kind: 'T', metadata: { name: 'a', version: '1' } as never, spec: {} }),
      store.delete('T', 'a'),
    ];
    for (const call of calls) await expect(call).rejects.toMatchObject({ code: 'CLOSED', message: expect.stringMatching(/closed: open it again/) });
    const watchErrors: unknown[] = [];
    store.watch('T').subscribe({ error: (e: unknown) => watchErrors.push(e) });
    expect(watchErrors).toEqual([expect.any(StoreClosedError)]);
    expect(() => store.revision).toThrow(StoreClosedError);
    expect(createSqliteStore({ path }).revision).toBe(1);
  });
});

describe('createSqliteStore: writes of other connections', () => {
  it('polls data_version through the scheduler only while watched, and delivers changes made through the desired view', async () => {
    const scheduler = new VirtualTimeScheduler();
    const store = createSqliteStore({ path, scheduler, pollInterval: 50 });
    await store.create('Todo', { metadata: { name: 'mine', finalizers: ['f'] }, spec: { title: 'mine' } });
    expect(scheduler.actions.length).toBe(0); // nothing watched: no timer
    const events: WatchEvent[] = [];
    const subscription = store.watch('Todo').subscribe((e) => events.push(e));
    const cli = new Database(path);
    cli.exec(`
      INSERT INTO desired (kind, name, spec) VALUES ('Todo', 'milk', '{"title":"buy milk","done":false}');
      UPDATE desired SET spec = json_set(spec, '$.done', json('true')) WHERE kind = 'Todo' AND name = 'milk';
      UPDATE desired SET status = '{"phase":"Done"}' WHERE kind = 'Todo' AND name = 'milk';
      UPDATE desired SET status = '{"phase":"Done"}' WHERE kind = 'Todo' AND name = 'milk';
      DELETE FROM desired WHERE kind = 'Todo' AND name = 'mine';
      UPDATE desired SET finalizers = '[]' WHERE kind = 'Todo' AND name = 'mine';
      INSERT INTO desired (kind, name, spec) VALUES ('Other', 'o', '{}');
    `);
    expect(() => cli.exec(`INSERT INTO desired (kind, name, spec) VALUES ('Todo', 'bad', '{oops')`)).toThrow(/spec must be JSON text/);
    expect(() => cli.exec(`INSERT INTO desired (kind, name, labels) VALUES ('Todo', 'bad', '{"team":5}')`)).toThrow(/every value of labels must be a string/);
    expect(() => cli.exec(`UPDATE desired SET name = 'x' WHERE name = 'milk'`)).toThrow(/cannot change/);
    await tick();
    expect(events.map(line)).toEqual(['added* mine@1 gen=1', 'synced@1']);
    advance(scheduler, 50); // one poll
    await tick();
    expect(events.map(line)).toEqual([
      'added* mine@1 gen=1',
      'synced@1',
      'added milk@2 gen=1',
      'modified milk@3 gen=2 old@2',
      'modified milk@4 gen=2 old@3',
      'modified mine@5 gen=1 old@1',
      'deleted mine@6 gen=1',
    ]);
    const milk = await store.get('Todo', 'milk');
    expect(milk).toMatchObject({ spec: { title: 'buy milk', done: true }, status: { phase: 'Done' }, metadata: { version: '4', labels: {}, finalizers: [] } });
    expect(milk?.metadata.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(milk?.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // Writes through the store after foreign ones come after them, in order.
    cli.exec(`INSERT INTO desired (kind, name, spec) VALUES ('Todo', 'late', '{}')`);
    await store.updateStatus({ ...(milk as NonNullable<typeof milk>), status: { phase: 'Pending' } }).catch(() => undefined);
    await tick();
    expect(events.slice(-2).map(line)).toEqual(['added late@8 gen=1', 'modified milk@9 gen=2 old@4']);
    subscription.unsubscribe();
    expect(scheduler.actions.length).toBe(0);
    cli.close();
    await store.close();
  });

  it('the sqlite3 command-line tool writes through the desired view (skipped without sqlite3 on PATH)', async (context) => {
    const sqlite3 = ['/usr/bin/sqlite3', '/usr/local/bin/sqlite3'].find((p) => existsSync(p));
    if (sqlite3 === undefined) return context.skip('the sqlite3 command-line tool is not installed (apt-get install sqlite3)');
    const store = createSqliteStore({ path, pollInterval: 5 });
    const events: string[] = [];
    store.watch('Todo').subscribe((e) => events.push(line(e)));
    execFileSync(sqlite3, [path, `INSERT INTO desired (kind, name, spec) VALUES ('Todo', 'cli', '{"title":"from the shell"}');`]);
    for (let i = 0; i < 200 && events.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(events).toEqual(['synced@0', 'added cli@1 gen=1']);
    expect(execFileSync(sqlite3, [path, "SELECT name, generation, json_extract(spec, '$.title') FROM desired"]).toString().trim()).toBe('cli|1|from the shell');
    await store.close();
  });

  it('a change compacted away by another connection before it was read ends the watch with CompactedError', async () => {
    const scheduler = new VirtualTimeScheduler();
    const store = createSqliteStore({ path, scheduler });
    const errors: unknown[] = [];
    store.watch('T').subscribe({ error: (e: unknown) => errors.push(e) });
    const other = createSqliteStore({ path, history: 0 });
    await other.create('T', { metadata: { name: 'a' }, spec: {} });
    await other.create('T', { metadata: { name: 'b' }, spec: {} });
    advance(scheduler, 50);
    await tick();
    expect(errors).toEqual([expect.any(CompactedError)]);
    expect(errors[0]).toMatchObject({ code: 'COMPACTED', requested: 0, oldest: 2 });
    await other.close();
    await store.close();
  });
});

describe('createSqliteStore: rows written around the store', () => {
  it('skips malformed rows in list and watch, reports them to the logger, and get rejects with MalformedResourceError', async () => {
    const logger = recordingLogger();
    const scheduler = new VirtualTimeScheduler();
    const store = createSqliteStore({ path, logger, scheduler });
    await store.create('T', { metadata: { name: 'good' }, spec: {} });
    const raw = new Database(path);
    raw.exec(`
      INSERT INTO resources (kind, key, revision, doc) VALUES ('T', 'notjson', 50, '{oops');
      INSERT INTO resources (kind, key, revision, doc) VALUES ('T', 'noname', 51, '{"metadata":{"generation":1}}');
      INSERT INTO resources (kind, key, revision, doc) VALUES ('T', 'badlabels', 52,
        '{"metadata":{"name":"badlabels","generation":1,"uid":"u","creationTimestamp":"t","labels":{"team":5},"annotations":{},"finalizers":[],"ownerReferences":[]},"spec":{}}');
    `);
    expect((await store.list('T')).map((r) => r.metadata.name)).toEqual(['good']);
    expect(logger.warnings.map((w) => w['name'])).toEqual(['badlabels', 'noname', 'notjson']);
    expect(logger.warnings[0]?.['err']).toBeInstanceOf(MalformedResourceError);
    expect(String((logger.warnings[0]?.['err'] as Error).message)).toMatch(/metadata\.labels\.team/);
    await expect(store.get('T', 'notjson')).rejects.toMatchObject({ code: 'MALFORMED', message: expect.stringMatching(/doc is not JSON/) });

    const events: string[] = [];
    const errors: unknown[] = [];
    store.watch('T').subscribe({ next: (e) => events.push(line(e)), error: (e: unknown) => errors.push(e) });
    await tick();
    expect(events).toEqual(['added* good@1 gen=1', 'synced@1']);
    // A malformed change row in the feed is skipped; the next good change still arrives.
    raw.exec(`INSERT INTO changes (revision, kind, key, type, doc) VALUES (2, 'T', 'x', 'added', 'not json at all')`);
    raw.exec(`INSERT INTO desired (kind, name, spec) VALUES ('T', 'after', '{}')`);
    advance(scheduler, 50);
    await tick();
    expect(events.slice(2)).toEqual(['added after@3 gen=1']);
    expect(errors).toEqual([]);
    expect(logger.warnings.at(-1)?.['location']).toBe('changes row 2');
    raw.close();
    await store.close();
  });
});
