/**
 * Every example loop in examples/ is checked with checkIdempotent and checkConvergence.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkConvergence, checkIdempotent, defaultFaults, loopDefinition } from 'rx-reconcile/testing';
import { folderWorld, removeFolder, todoCurrent, todoDefinition, todoDesired } from '../../examples/todo-world.js';
import { main as testingKitDemo } from '../../examples/testing-kit.js';

describe('examples/testing-kit.ts (the README example)', () => {
  it('runs: the correct loop passes both checks, the write storm is caught with its seed', async () => {
    const log: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void log.push(args.join(' '));
    try {
      const result = await testingKitDemo();
      expect(result.stormCaught).toMatch(/seed: -?\d+, path: "[\d:]*"/);
      expect(result.stormCaught).toContain('status.syncedAt');
    } finally {
      console.log = original;
    }
    expect(log[0]).toMatch(/^idempotent: 50 runs/);
    expect(log[1]).toMatch(/^convergent under faults: 50 runs/);
    expect(log[2]).toMatch(/^write storm caught \(NOT_IDEMPOTENT\)/);
  });
});

describe('examples/todo.ts', () => {
  const todo = todoDefinition();

  it('is idempotent: a second pass over converged todos writes nothing and touches no file', async () => {
    const report = await checkIdempotent(todo, { desired: todoDesired, current: todoCurrent, numRuns: 100 });
    expect(report.numRuns).toBe(100);
    expect(report.writes).toBeGreaterThan(0);
  });

  it('converges under faults: dropped, duplicated, reordered and delayed events, stale reads, failing writes', async () => {
    const report = await checkConvergence(todo, { desired: todoDesired, current: todoCurrent, faults: defaultFaults, numRuns: 100 });
    expect(report.faults).toBeGreaterThan(0);
  });

  it('needs its resync to converge when watch events are lost (the check finds it)', async () => {
    const withoutResync = loopDefinition({
      ...todo,
      loop: (env) => {
        const { resync: _resync, ...options } = todo.loop(env);
        void _resync;
        return options;
      },
    });
    const failure = await checkConvergence(withoutResync, {
      desired: todoDesired,
      current: todoCurrent,
      faults: { store: { dropEvent: 0.3 } },
      numRuns: 100,
      seed: 42,
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'NOT_CONVERGENT' });
    expect((failure as Error).message).toContain('no resync');
  });

  describe('on real files (one temporary folder per run)', () => {
    const folders: string[] = [];
    afterAll(() => folders.forEach(removeFolder));
    const onDisk = todoDefinition((initial) => {
      const folder = mkdtempSync(join(tmpdir(), 'rx-reconcile-todo-check-'));
      folders.push(folder);
      return folderWorld(folder, initial);
    });

    it('is idempotent and convergent on disk too', async () => {
      await checkIdempotent(onDisk, { desired: todoDesired, current: todoCurrent, numRuns: 10 });
      await checkConvergence(onDisk, { desired: todoDesired, current: todoCurrent, numRuns: 10 });
    });
  });
});
