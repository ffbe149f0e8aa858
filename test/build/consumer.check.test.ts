/**
 * A clean consumer of the built package: `dist` as npm would install it, next to the package's own
 * dependencies only (no prom-client, better-sqlite3, etcd3, pino or fast-check), type-checked with
 * `skipLibCheck: false` under modern (`nodenext`) and legacy (`node10`) module resolution, then run.
 *
 * Guards: an optional peer leaking into the root types (TS2307 on `prom-client` for a user who imports
 * only `defineLoop`), and legacy resolution picking the shipped TypeScript source instead of `dist`.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let dir = '';
let consumer = '';

const program = `import { createMemoryStore, defineLoop, Outcome } from 'rx-reconcile';
import type { Loop, ReconcileRequest } from 'rx-reconcile';
import { workQueue } from 'rx-reconcile/operators';

const store = createMemoryStore();
await store.create('Todo', { metadata: { name: 'a' }, spec: { title: 'a' } });
const seen: ReconcileRequest[] = [];
const loop: Loop = defineLoop<{ title: string }>({
  name: 'todo',
  store,
  kind: 'Todo',
  reconcile: (request) => {
    seen.push(request);
    return Outcome.converged();
  },
});
await loop.whenIdle();
await loop.stop();
console.log(typeof workQueue, seen.map((r) => r.key).join(','));
`;

async function typeCheck(options: Record<string, unknown>): Promise<string> {
  const config = { compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', lib: ['es2023'], types: ['node'], ...options }, files: ['main.ts'] };
  await writeFile(join(consumer, 'tsconfig.json'), JSON.stringify(config));
  const result = await run(process.execPath, [tsc, '-p', '.'], { cwd: consumer, timeout: 120_000 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
  return result.stdout.trim();
}

describe('a clean consumer of the built package', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rx-reconcile-consumer-'));
    consumer = join(dir, 'consumer');
    const pkg = join(consumer, 'node_modules', 'rx-reconcile');
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(pkg, 'dist')], { cwd: root, timeout: 240_000 });
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { files: string[] };
    for (const entry of manifest.files) if (entry !== 'dist') await cp(join(root, entry), join(pkg, entry), { recursive: true });
    await cp(join(root, 'package.json'), join(pkg, 'package.json'));
    await mkdir(join(consumer, 'node_modules', '@types'), { recursive: true });
    for (const name of ['rxjs', 'zod', 'immer', 'fast-deep-equal', 'tslib']) {
      await symlink(join(root, 'node_modules', name), join(consumer, 'node_modules', name)).catch(() => undefined);
    }
    await symlink(join(root, 'node_modules', '@types', 'node'), join(consumer, 'node_modules', '@types', 'node'));
    await writeFile(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
    await writeFile(join(consumer, 'main.ts'), program);
  }, 300_000);

  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('type-checks with skipLibCheck false and no optional peer installed (nodenext)', async () => {
    expect(await typeCheck({ module: 'nodenext', moduleResolution: 'nodenext' })).toBe('');
  }, 120_000);

  it('type-checks against dist, never the shipped source, under legacy node10 resolution', async () => {
    const output = await typeCheck({ module: 'es2022', moduleResolution: 'node10', ignoreDeprecations: '6.0', listFiles: true });
    const files = output.split('\n').filter((line) => line.includes('/node_modules/rx-reconcile/'));
    expect(output.split('\n').filter((line) => /error TS\d+/.test(line))).toEqual([]);
    expect(files.some((file) => file.endsWith('/node_modules/rx-reconcile/dist/index.d.ts'))).toBe(true);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  }, 120_000);

  it('type-checks the testing kit with its one peer, fast-check, installed', async () => {
    await symlink(join(root, 'node_modules', 'fast-check'), join(consumer, 'node_modules', 'fast-check'));
    try {
      await writeFile(
        join(consumer, 'kit.ts'),
        [
          "import { SimulationScheduler, checkIdempotent, loopDefinition, memoryWorld } from 'rx-reconcile/testing';",
          "import type { LoopDefinition, World } from 'rx-reconcile/testing';",
          'const scheduler = new SimulationScheduler();',
          'const world: World<string> = memoryWorld<string>();',
          'export const used: unknown[] = [scheduler, world, checkIdempotent, loopDefinition];',
          'export type Definition = LoopDefinition<{ title: string }, unknown, string>;',
        ].join('\n'),
      );
      const config = { compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, target: 'es2022', lib: ['es2023'], types: ['node'], module: 'nodenext', moduleResolution: 'nodenext' }, files: ['kit.ts'] };
      await writeFile(join(consumer, 'tsconfig.kit.json'), JSON.stringify(config));
      const result = await run(process.execPath, [tsc, '-p', 'tsconfig.kit.json'], { cwd: consumer, timeout: 120_000 }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
      expect(result.stdout.trim()).toBe('');
    } finally {
      await rm(join(consumer, 'node_modules', 'fast-check'));
    }
  }, 120_000);

  it('runs: the loop reconciles the one resource', async () => {
    await writeFile(join(consumer, 'main.mjs'), program.replace(/import type [^\n]*\n/, '').replace(/: ReconcileRequest\[\]/, '').replace(/: Loop/, '').replace('defineLoop<{ title: string }>', 'defineLoop'));
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: consumer, timeout: 60_000 });
    expect(stdout.trim()).toBe('function a');
  }, 120_000);
});
