/**
 * Opening a SQLite file: whose file it is is decided before anything in it changes, failures say the
 * path and what to do, an older layout is brought up to date, and a file held by a stopped writer
 * still opens for reading (its writes fail as retryable `TransientError`s).
 *
 * Regressions guarded: a foreign SQLite file was switched to WAL (and got a `-wal` file) before being
 * refused; an empty file with another program's `user_version` was adopted; opening took the write
 * lock even on an up-to-date file; the `desired` view refused owner references with a `uid` (as
 * `ownerReferenceOf` writes them) and let in `1e999`, which then read back as `Infinity`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { InvalidArgumentError, TransientError, ownerReferenceOf } from 'rx-reconcile';
import { createSqliteStore } from 'rx-reconcile/sqlite';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rx-sqlite-open-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createSqliteStore: files that are not (yet) a store', () => {
  it('refuses a foreign SQLite file without changing a byte of it (no WAL switch, no -wal file)', () => {
    const path = join(dir, 'notes.db');
    const foreign = new Database(path);
    foreign.exec('CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES (\'keep me\')');
    foreign.close();
    const before = readFileSync(path);
    expect(() => createSqliteStore({ path })).toThrow(/not an rx-reconcile store \(it has tables of its own \(notes\)\); nothing in it was changed/);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses an empty file that carries another program’s user_version, and leaves it as it was', () => {
    const path = join(dir, 'marked.db');
    const other = new Database(path);
    other.pragma('user_version = 7');
    other.close();
    expect(() => createSqliteStore({ path })).toThrow(/another program's user_version 7/);
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
    db.close();
  });

  it('says the path and what to do for a folder, a missing folder, a text file and a store that lost its tables', async () => {
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'text.txt'), 'not a database, just words '.repeat(100));
    const cases: [string, RegExp][] = [
      [join(dir, 'folder'), /cannot open .*folder.*names a file \(not a folder\)/],
      [join(dir, 'nope', 'x.db'), /cannot open .*nope.*folder that exists/],
      [join(dir, 'text.txt'), /cannot open .*text\.txt.*not a SQLite database/],
    ];
    for (const [path, message] of cases) {
      expect(() => createSqliteStore({ path }), path).toThrow(InvalidArgumentError);
      expect(() => createSqliteStore({ path }), path).toThrow(message);
    }
    const damaged = join(dir, 'damaged.db');
    await createSqliteStore({ path: damaged }).close();
    const db = new Database(damaged);
    db.exec('DROP TABLE changes');
    db.close();
    expect(() => createSqliteStore({ path: damaged })).toThrow(/layout is damaged \(missing: changes\)/);
  });
});

describe('createSqliteStore: layout versions', () => {
  it('brings a layout-1 file up to date on open, keeping its resources', async () => {
    const path = join(dir, 'old.db');
    const first = createSqliteStore({ path });
    await first.create('App', { metadata: { name: 'web' }, spec: { replicas: 1 } });
    await first.close();
    const db = new Database(path);
    db.pragma('user_version = 1');
    // Layout 1's triggers: as they were, without the uid of owner references.
    const old = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'desired_update'").pluck().get() as string;
    db.exec('DROP TRIGGER desired_update');
    db.exec(old.replace(", 'uid', 'controller')", ", 'controller')"));
    expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'desired_update'").pluck().get()).not.toContain("'uid', 'controller'");
    db.close();
    const reopened = createSqliteStore({ path });
    expect((await reopened.get('App', 'web'))?.spec).toEqual({ replicas: 1 });
    await reopened.close();
    const check = new Database(path, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(2);
    expect(check.prepare("SELECT sql FROM sqlite_master WHERE name = 'desired_update'").pluck().get()).toContain("'uid', 'controller'");
    check.close();
  });

  it('the desired view updates a child whose owner reference has a uid, and refuses numbers JSON cannot carry', async () => {
    const path = join(dir, 'view.db');
    const store = createSqliteStore({ path });
    const owner = await store.create('App', { metadata: { name: 'web' }, spec: {} });
    await store.create('Pod', { metadata: { name: 'web-0', ownerReferences: [ownerReferenceOf(owner)] }, spec: { image: 'a' } });
    const db = new Database(path);
    db.prepare("UPDATE desired SET spec = json_set(spec, '$.image', 'b') WHERE kind = 'Pod' AND name = 'web-0'").run();
    expect(() => db.prepare("INSERT INTO desired (kind, name, spec) VALUES ('Todo', 'big', '1e999')").run()).toThrow(/numbers too large for JSON/);
    expect(() => db.prepare(`INSERT INTO desired (kind, name, spec, status) VALUES ('Todo', 'deep', '{}', '{"a":[{"b":-1e400}]}')`).run()).toThrow(
      /numbers too large for JSON/,
    );
    // A row written around the view (straight into the table) is reported, never read as Infinity.
    db.prepare(
      `INSERT INTO resources (kind, key, revision, doc) VALUES ('Todo', 'inf', 99,
        json_object('kind', 'Todo', 'metadata', json_object('name', 'inf', 'version', '99', 'revision', 99, 'generation', 1, 'uid', 'u',
          'creationTimestamp', '2026-01-01T00:00:00.000Z', 'labels', json('{}'), 'annotations', json('{}'), 'finalizers', json('[]'),
          'ownerReferences', json('[]')), 'spec', json('{"n":1}')))`,
    ).run();
    db.prepare(`UPDATE resources SET doc = replace(doc, '"n":1', '"n":1e999') WHERE key = 'inf'`).run();
    db.close();
    expect((await store.get<{ image: string }, unknown>('Pod', 'web-0'))?.spec.image).toBe('b');
    await expect(store.get('Todo', 'inf')).rejects.toThrow(/doc\.spec\.n holds a number too large for JSON/);
    await store.close();
  });
});

describe('createSqliteStore: a writer stopped while holding the file', () => {
  it('opens and reads beside it; a write waits busyTimeout, then fails as a TransientError saying why, and nothing is stored', async () => {
    const path = join(dir, 'held.db');
    const setup = createSqliteStore({ path });
    await setup.create('Todo', { metadata: { name: 'a' }, spec: {} });
    await setup.close();
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const child = spawn(process.execPath, [
      '-e',
      `const D = require(${JSON.stringify(driver)}); const db = new D(process.argv[1]); db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`,
      path,
    ]);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
        child.on('exit', (code) => reject(new Error(`locker exited with ${code}`)));
      });
      process.kill(child.pid as number, 'SIGSTOP');
      const store = createSqliteStore({ path, busyTimeout: 200 });
      expect((await store.list('Todo')).map((r) => r.metadata.name)).toEqual(['a']);
      const write = store.create('Todo', { metadata: { name: 'b' }, spec: {} });
      await expect(write).rejects.toBeInstanceOf(TransientError);
      await expect(write).rejects.toThrow(/locked by another connection for longer than busyTimeout \(200 ms\); nothing of this write was stored/);
      process.kill(child.pid as number, 'SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      expect((await store.list('Todo')).map((r) => r.metadata.name)).toEqual(['a']);
      await store.create('Todo', { metadata: { name: 'c' }, spec: {} });
      expect((await store.list('Todo')).map((r) => r.metadata.name)).toEqual(['a', 'c']);
      await store.close();
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
