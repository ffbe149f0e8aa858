/**
 * Every test file runs in exactly one tier: `unit` (`npm test`) or `check` (`npm run check`). Asks
 * vitest itself which files each project of vitest.config.ts collects, so a pattern that drops a file
 * from both tiers (or puts it in both) fails here. Part of `npm run check`.
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const SKIP = new Set(['node_modules', 'dist', '.git', 'coverage', 'test-artifacts', '.scratch']);

/** Every `*.test.ts` file of the repository (outside node_modules and build output). */
async function testFiles(folder = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await testFiles(path)));
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

/** The files vitest collects for one project (`vitest list --filesOnly`). */
async function tier(project: string): Promise<string[]> {
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const { stdout } = await run(process.execPath, [vitest, 'list', '--filesOnly', '--json', `--project=${project}`], { cwd: root, timeout: 120_000, maxBuffer: 4 * 1024 * 1024 });
  const listed = JSON.parse(stdout) as { file: string }[];
  return listed.map((entry) => relative(root, entry.file));
}

describe('test tiers', () => {
  it('put every test file in exactly one of unit (npm test) and check (npm run check)', async () => {
    const [all, unit, check] = await Promise.all([testFiles(), tier('unit'), tier('check')]);
    expect(unit.length).toBeGreaterThan(0);
    expect(check).toContain('test/tiers.check.test.ts');
    expect(unit.filter((file) => check.includes(file)), 'in both tiers').toEqual([]);
    expect(all.filter((file) => !unit.includes(file) && !check.includes(file)).sort(), 'in no tier').toEqual([]);
    expect([...unit, ...check].filter((file) => !all.includes(file)), 'collected but not found on disk').toEqual([]);
  }, 120_000);
});
