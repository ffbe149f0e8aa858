/**
 * The import graph, checked by dependency-cruiser (`npm run check:deps`, rules in
 * `.dependency-cruiser.cjs`): no import cycle (type-only imports included), the kernel below the
 * operators, the operators below the testing kit and the adapters, each optional peer imported only by
 * its own adapter.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('the import graph', () => {
  it('has no cycle and keeps its layers (dependency-cruiser)', async () => {
    const cli = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
    const args = [cli, 'index.ts', 'src', 'operators', 'testing', 'prometheus', 'sqlite', 'etcd', 'admin', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'];
    const result = await promisify(execFile)(process.execPath, args, { cwd: root, timeout: 240_000 }).then(
      () => ({ code: 0, stdout: '' }),
      (error: { code?: number; stdout?: string }) => ({ code: error.code ?? 1, stdout: error.stdout ?? String(error) }),
    );
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  }, 240_000);
});
