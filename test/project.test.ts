import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as main from 'rx-reconcile';
import * as operators from 'rx-reconcile/operators';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

async function sources(folder: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await readdir(join(root, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) out.push({ file: path, text: await readFile(join(root, path), 'utf8') });
  }
  return out;
}

describe('project rules', () => {
  it('keeps the kernel free of operator imports (layers go one way)', async () => {
    for (const { file, text } of await sources('src')) {
      // Code only: a doc comment's example may import `rx-reconcile/operators`, as a user would.
      const code = text.split('\n').filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join('\n');
      expect(code, `${file} imports operators/`).not.toMatch(/from ['"](\.\.\/)+operators|from ['"]rx-reconcile\/operators/);
    }
  });

  it('never imports rxjs/internal, and keeps time out of setTimeout/Date.now in library code', async () => {
    for (const { file, text } of [...(await sources('src')), ...(await sources('operators'))]) {
      expect(text, file).not.toMatch(/rxjs\/internal/);
      expect(text, file).not.toMatch(/\bsetTimeout\(|\bsetInterval\(|Date\.now\(/);
    }
  });

  it('names each operator file after its export (kebab-case file, camelCase export)', async () => {
    const files = (await readdir(join(root, 'operators'))).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'read.ts');
    for (const file of files) {
      const name = file.replace(/\.ts$/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const module = (await import(join(root, 'operators', file))) as Record<string, unknown>;
      expect(module, `operators/${file} should export ${name}`).toHaveProperty(name);
    }
  });

  it('exposes the documented entry points', () => {
    for (const name of ['createMemoryStore', 'defineLoop', 'Outcome', 'Backoff', 'setDiff', 'ConflictError', 'ValidationError', 'keyOf']) {
      expect(main, name).toHaveProperty(name);
    }
    for (const name of ['observe', 'compare', 'correct', 'verify', 'workQueue', 'resync', 'watchRequests', 'triggerOwners', 'triggerWith', 'createQueueControl']) {
      expect(operators, name).toHaveProperty(name);
    }
  });

  it('type-checks under the strict compiler settings', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', '.', '--noEmit'], { cwd: root, timeout: 240_000 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error), stderr: '' }),
    );
    expect(result.stdout.trim()).toBe('');
  }, 240_000);

  it('builds to plain ESM that imports by package name without the source condition', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rx-reconcile-build-'));
    try {
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')], { cwd: root, timeout: 240_000 });
      await cp(join(root, 'package.json'), join(dir, 'package.json'));
      await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
      await writeFile(
        join(dir, 'smoke.mjs'),
        [
          "import { createMemoryStore, defineLoop, Outcome } from 'rx-reconcile';",
          "import { workQueue } from 'rx-reconcile/operators';",
          "const store = createMemoryStore();",
          "await store.create('T', { metadata: { name: 'a' }, spec: {} });",
          "const loop = defineLoop({ name: 't', store, kind: 'T', reconcile: () => Outcome.converged() });",
          "await loop.whenIdle();",
          "console.log(typeof workQueue, loop.snapshot().counters.converged);",
          'await loop.stop();',
        ].join('\n'),
      );
      const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: dir, timeout: 60_000 });
      expect(stdout.trim()).toBe('function 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
