/**
 * The whole project as it ships: it type-checks under the strict settings (`tsc -p .`), and
 * `npm run build` gives plain ESM that a child process imports by package name — every entry point in
 * package.json `exports`, in plain Node without the source condition, so a `.ts` file reached by
 * mistake fails the import. Part of `npm run check`.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

interface Manifest {
  readonly exports: Record<string, unknown>;
  readonly files: readonly string[];
}

describe('the project as it ships', () => {
  it('type-checks under the strict compiler settings (tsc -p .)', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', '.', '--noEmit'], { cwd: root, timeout: 240_000 }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error), stderr: '' }),
    );
    expect(result.stdout.trim()).toBe('');
  }, 240_000);

  it('npm run build gives plain ESM: every entry point imports by package name from dist, without the source condition', async () => {
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Manifest;
    const entries = Object.keys(manifest.exports).filter((subpath) => subpath !== './package.json');
    expect(entries.length).toBeGreaterThan(1);
    const dir = await mkdtemp(join(tmpdir(), 'rx-reconcile-build-'));
    try {
      // The build script itself, sent to a temporary folder laid out like the published package.
      await run('npm', ['run', '--silent', 'build', '--', '--outDir', join(dir, 'dist')], { cwd: root, timeout: 240_000 });
      await cp(join(root, 'package.json'), join(dir, 'package.json'));
      for (const file of manifest.files) {
        if (file !== 'dist') await symlink(join(root, file), join(dir, file));
      }
      await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
      const specifiers = entries.map((subpath) => (subpath === '.' ? 'rx-reconcile' : `rx-reconcile/${subpath.slice(2)}`));
      await writeFile(
        join(dir, 'imports.mjs'),
        [
          `const dist = new URL('./dist/', import.meta.url).href;`,
          `for (const specifier of ${JSON.stringify(specifiers)}) {`,
          '  const url = import.meta.resolve(specifier);',
          "  if (!url.startsWith(dist) || !url.endsWith('.js')) throw new Error(`${specifier} resolves to ${url}, not to dist`);",
          '  const names = Object.keys(await import(specifier));',
          "  if (names.length === 0) throw new Error(`${specifier} exports nothing`);",
          '  console.log(`${specifier} ${names.length}`);',
          '}',
          "const { createMemoryStore, defineLoop, Outcome } = await import('rx-reconcile');",
          "const { workQueue } = await import('rx-reconcile/operators');",
          'const store = createMemoryStore();',
          "await store.create('T', { metadata: { name: 'a' }, spec: {} });",
          "const loop = defineLoop({ name: 't', store, kind: 'T', reconcile: () => Outcome.converged() });",
          'await loop.whenIdle();',
          'console.log(typeof workQueue, loop.snapshot().counters.converged);',
          'await loop.stop();',
        ].join('\n'),
      );
      const { stdout } = await run(process.execPath, ['imports.mjs'], { cwd: dir, timeout: 60_000 });
      const lines = stdout.trim().split('\n');
      expect(lines.slice(0, -1).map((line) => line.split(' ')[0])).toEqual(specifiers);
      expect(lines.at(-1)).toBe('function 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
