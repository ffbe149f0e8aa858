import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

/** Runs an example as a user would (ts-node, the package's source condition), in a real child process. */
async function runExample(file: string, args: string[] = []): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--conditions=rx-reconcile-source', '--no-warnings', '--loader', 'ts-node/esm', join('examples', file), ...args], {
    cwd: root,
    timeout: 120_000,
    env: { ...process.env, NODE_ENV: 'test' },
  });
}

describe('examples', () => {
  it('todo: converges the Todo files, refuses a bad spec, and cleans up a deleted todo before it disappears', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'todo-example-'));
    try {
      const { stdout } = await runExample('todo.ts', [folder]);
      expect(stdout).toContain('refused: Todo "bad" has an invalid spec (spec.title:');
      const afterDelete = stdout.slice(stdout.indexOf('4. delete'));
      expect(afterDelete).toMatch(/todo buy-milk\s+phase=Done gen=2 observed=2/);
      expect(afterDelete).toMatch(/todo ship-it\s+phase=Pending gen=1 observed=1/);
      expect(afterDelete).not.toMatch(/todo write-docs/);
      expect(stdout).toContain('converged: every todo has its file');
      expect((await readdir(folder)).filter((f) => f.endsWith('.md')).sort()).toEqual(['buy-milk.md', 'ship-it.md']);
      expect(await readFile(join(folder, 'buy-milk.md'), 'utf8')).toContain('- [x] buy milk');
      expect(stdout).toContain(`Todos in ${join(folder, 'todos.db')}`);
      // One pass per change (G20): three creates, one update, one delete — the loop's own finalizer
      // and status writes (and the removal after the cleanup) never come back as passes.
      // (Two workers: the order of passes within a step is not fixed; the count per key is.)
      const passes = stdout.split('\n').filter((line) => line.trimStart().startsWith('pass '));
      expect(passes.map((line) => line.trim().split(/\s+/)[1]).sort()).toEqual(['buy-milk', 'buy-milk', 'ship-it', 'write-docs', 'write-docs']);
      const step = (from: string, to: string) => stdout.slice(stdout.indexOf(from), stdout.indexOf(to)).split('\n').filter((l) => l.trimStart().startsWith('pass ')).length;
      expect([step('1. create', '2. mark'), step('2. mark', '3. a bad'), step('3. a bad', '4. delete'), step('4. delete', 'converged:')]).toEqual([3, 1, 0, 1]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('todo: a second run on the same folder finds the todos the first left in SQLite, and the loop resumes (a removed file comes back)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'todo-example-'));
    try {
      await runExample('todo.ts', [folder]);
      await rm(join(folder, 'ship-it.md'));
      const { stdout } = await runExample('todo.ts', [folder]);
      expect(stdout).toContain('found 2 todo(s) left by an earlier run');
      expect(stdout).not.toContain('1. create three todos');
      expect(stdout).toMatch(/todo buy-milk\s+phase=Done gen=2 observed=2/);
      expect(stdout).toMatch(/todo ship-it\s+phase=Pending gen=1 observed=1/);
      expect((await readdir(folder)).filter((f) => f.endsWith('.md')).sort()).toEqual(['buy-milk.md', 'ship-it.md']);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('todo --memory: keeps the todos in memory (a fresh start, no store file)', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'todo-example-'));
    try {
      const { stdout } = await runExample('todo.ts', ['--memory', folder]);
      expect(stdout).toContain('Todos in memory');
      expect(stdout).toContain('1. create three todos');
      expect((await readdir(folder)).sort()).toEqual(['buy-milk.md', 'ship-it.md']);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  it('every example runs to completion with ts-node', async () => {
    // todo.ts has its own tests above; replicas.ts needs etcd and runs in test/etcd/replicas.test.ts.
    const files = (await readdir(join(root, 'examples'))).filter((f) => f.endsWith('.ts') && f !== 'todo.ts' && f !== 'replicas.ts');
    for (const file of files) {
      const { stdout } = await runExample(file);
      expect(stdout.trim().length, `${file} printed nothing`).toBeGreaterThan(0);
    }
  }, 180_000);
});
