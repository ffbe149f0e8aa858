/**
 * The examples in the doc comments of the public API compile (issue 16, item 4): runs
 * `scripts/check-doc-examples.ts` in a child process, as a user would (`npx tsx
 * scripts/check-doc-examples.ts`). A heavy check (one TypeScript program over every example and the
 * library): it belongs to the slow tier.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;

describe('examples in doc comments', () => {
  it('every public value export has an example, and every fenced ts example compiles with the strict options', async () => {
    const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const result = await run(process.execPath, [tsx, 'scripts/check-doc-examples.ts', '--quiet', '--require-examples'], { cwd: root, timeout: 240_000 }).catch(
      (error: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: `${error.stdout ?? ''}${error.stderr ?? ''}`, stderr: '', failed: error.code ?? 1 }),
    );
    const summary = /(\d+) examples .*?: (\d+) compile, (\d+) fail/.exec(result.stdout);
    expect(summary, result.stdout).not.toBeNull();
    expect(Number(summary?.[1])).toBeGreaterThan(60);
    expect(Number(summary?.[3]), result.stdout).toBe(0);
    expect('failed' in result ? result.failed : 0, result.stdout).toBe(0);
  }, 240_000);
});
