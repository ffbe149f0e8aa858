import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

describe('benchmarks (quick mode, as CI runs them)', () => {
  it('run end to end with zero correctness violations (timing goals are judged by npm run bench, not here)', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=rx-reconcile-source', '--no-warnings', '--loader', 'ts-node/esm', 'bench/run.ts', '--quick', '--no-write'],
      { cwd: root, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    // The driver exits non-zero on any violation or crashed run; the summary must say so too.
    expect(stdout).toMatch(/Correctness: 0 violation\(s\), 0 crashed run\(s\)/);
  }, 240_000);

  it('the micro-measurements behind the reasons run (repeated trigger, RxJS source edges)', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--conditions=rx-reconcile-source', '--no-warnings', '--loader', 'ts-node/esm', 'bench/micro/edges.ts', '--quick'],
      { cwd: root, timeout: 120_000 },
    );
    expect(stdout).toMatch(/repeated trigger, 5000 queued keys: library KeyedQueue\.add +[\d.]+ ns/);
    expect(stdout).toMatch(/source edge: Subject +[\d.]+ ns/);
    const conditions = await run(
      process.execPath,
      ['--conditions=rx-reconcile-source', '--no-warnings', '--loader', 'ts-node/esm', 'bench/micro/edges.ts', '--conditions', '--quick'],
      { cwd: root, timeout: 120_000 },
    );
    expect(conditions.stdout).toMatch(/CPU per write, loop with conditions: +[\d.]+ µs/);
  }, 120_000);
});
