/**
 * The SQLite store with real processes (G17): acknowledged writes survive SIGKILL at random points;
 * a loop killed mid-way and restarted on the same file converges, running the cleanup of deleting
 * resources; a second process writing to the file is seen by a running loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { defineLoop, Outcome } from 'rx-reconcile';
import type { PassResult } from 'rx-reconcile';
import { createSqliteStore } from 'rx-reconcile/sqlite';
import { FINALIZER, TodoSpec, todoText } from '../../examples/todo.js';
import { buildChildPackage } from './children/build.js';
import type { ChildPackage } from './children/build.js';

let children: ChildPackage;
let dir: string;
beforeAll(async () => {
  children = await buildChildPackage();
  dir = await mkdtemp(join(tmpdir(), 'rx-sqlite-processes-'));
});
afterAll(async () => {
  await children.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** A child process started by this test, with its stdout lines. */
class Child {
  readonly lines: string[] = [];
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  private stderr = '';
  constructor(script: string, args: readonly string[]) {
    this.process = spawn(process.execPath, [children.script(script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.process.stdout as NodeJS.ReadableStream }).on('line', (line) => this.lines.push(line));
    this.process.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
  }
  /** Waits until `done(lines)`; fails with the child's output when it exits first or after a generous limit. */
  async until(done: (lines: readonly string[]) => boolean, what: string): Promise<void> {
    const limit = Date.now() + 30_000;
    while (!done(this.lines)) {
      if (this.process.exitCode !== null || Date.now() > limit) {
        throw new Error(`child ${this.process.pid} never showed ${what}; exit ${this.process.exitCode}; stderr: ${this.stderr}; last lines: ${this.lines.slice(-5).join(' | ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
  /** SIGKILL, by pid (only this test's child). */
  async kill(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}

describe('SQLite store across processes', () => {
  it('every acknowledged write survives SIGKILL at random points (20 rounds), and the file passes integrity_check', async () => {
    const path = join(dir, 'crash.db');
    const acked = new Set<number>();
    let counter = -1;
    // Random kill points: after a number of acknowledged writes, plus a random extra delay.
    const points = fc.sample(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 15 })), { numRuns: 20, seed: 20240611 });
    for (const [round, [writes, extraMs]] of points.entries()) {
      const first = (round + 1) * 10_000;
      const child = new Child('writer', [path, String(first)]);
      await child.until((lines) => lines.filter((l) => l.startsWith('ack ')).length >= writes, `${writes} acknowledged writes`);
      await new Promise((resolve) => setTimeout(resolve, extraMs));
      await child.kill();
      for (const line of child.lines) {
        const [, what, n] = line.split(' ');
        if (what === 'create') acked.add(Number(n));
        if (what === 'counter') counter = Math.max(counter, Number(n));
      }
      const db = new Database(path, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true }), `round ${round}`).toBe('ok');
      db.close();
      const store = createSqliteStore({ path });
      const names = new Set((await store.list('Item')).map((r) => r.metadata.name));
      const lost = [...acked].filter((n) => !names.has(`w${n}`));
      expect(lost, `acknowledged creates missing after round ${round}`).toEqual([]);
      const stored = (await store.get('Item', 'counter'))?.spec as { n: number } | undefined;
      expect(stored?.n ?? -1, `the counter after round ${round}`).toBeGreaterThanOrEqual(counter);
      // Revisions stayed store-wide and consistent: the newest change is the store's revision.
      expect(store.revision).toBeGreaterThanOrEqual(names.size);
      await store.close();
    }
    expect(acked.size).toBeGreaterThan(20);
  });

  it('a loop killed mid-way and restarted on the same file converges, cleanups of deleting todos included', async () => {
    const path = join(dir, 'loop.db');
    const folder = join(dir, 'todos');
    await mkdir(folder, { recursive: true });
    const store = createSqliteStore({ path, kinds: { Todo: { schema: TodoSpec } } });
    for (let i = 0; i < 40; i++) await store.create('Todo', { metadata: { name: `t${String(i).padStart(2, '0')}` }, spec: { title: `todo ${i}` } });
    // A todo a previous run had finished, deleted while no loop ran: its file must go before it does.
    await store.create('Todo', { metadata: { name: 'doomed', finalizers: [FINALIZER] }, spec: { title: 'doomed' } });
    await writeFile(join(folder, 'doomed.md'), todoText({ title: 'doomed', done: false }));
    await store.delete('Todo', 'doomed');

    const first = new Child('loop', [path, folder, 'forever']);
    await first.until((lines) => lines.filter((l) => l.startsWith('pass ')).length >= 12, '12 passes');
    await first.kill();
    const passes = first.lines.filter((l) => l.startsWith('pass ')).length;
    expect(passes).toBeLessThan(82); // killed before it could finish: 2 passes per todo

    // While no loop runs: delete a todo the first run gave a finalizer and a file, and change one.
    const t00 = await store.get<TodoSpec>('Todo', 't00');
    expect(t00?.metadata.finalizers).toEqual([FINALIZER]);
    await store.delete('Todo', 't00');
    const t01 = await store.get<TodoSpec>('Todo', 't01');
    if (t01) await store.update({ ...t01, spec: { ...t01.spec, done: true } });
    await store.close();

    const second = new Child('loop', [path, folder, 'until-idle']);
    await second.until((lines) => lines.includes('idle'), 'idle');
    expect(await second.exited).toBe(0);

    const after = createSqliteStore({ path, kinds: { Todo: { schema: TodoSpec } } });
    const todos = await after.list<TodoSpec, { phase?: string; observedGeneration?: number }>('Todo');
    expect(todos.map((t) => t.metadata.name)).toEqual(Array.from({ length: 39 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`));
    for (const todo of todos) {
      expect(todo.metadata.finalizers, todo.metadata.name).toEqual([FINALIZER]);
      expect(todo.status?.observedGeneration, todo.metadata.name).toBe(todo.metadata.generation);
      expect(todo.status?.phase, todo.metadata.name).toBe(todo.spec.done ? 'Done' : 'Pending');
      expect(await readFile(join(folder, `${todo.metadata.name}.md`), 'utf8')).toBe(todoText(todo.spec));
    }
    expect((await readdir(folder)).filter((f) => f.endsWith('.md')).sort()).toEqual(todos.map((t) => `${t.metadata.name}.md`));
    await after.close();
  });

  it("another process's write reaches a running loop's watch, and the loop reconciles it", async () => {
    const path = join(dir, 'shared.db');
    const store = createSqliteStore({ path, pollInterval: 10 });
    const seen: PassResult[] = [];
    const loop = defineLoop({ name: 'items', store, kind: 'Item', reconcile: () => Outcome.converged() });
    loop.results$.subscribe((r) => seen.push(r));
    await loop.whenIdle();
    const writer = new Child('writer', [path, '7', '1']);
    await writer.until((lines) => lines.includes('done'), 'done');
    const deadline = Date.now() + 10_000;
    while (!['w7', 'w8', 'w9', 'w10', 'counter'].every((key) => seen.some((r) => r.key === key)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(new Set(seen.map((r) => r.key))).toEqual(new Set(['w7', 'w8', 'w9', 'w10', 'counter']));
    expect(seen.every((r) => r.request.reason === 'watch' && r.outcome.type === 'converged')).toBe(true);
    await loop.stop();
    await store.close();
  });
});
