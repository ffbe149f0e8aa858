/**
 * `npm run describe` as a user runs it: the script of package.json in a child process (ts-node), its
 * output the golden file that golden.test.ts holds. Part of `npm run check` (it starts a process).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

describe('npm run describe (the script, in a child process)', () => {
  it('prints the Chinese golden file with -- --zh', async () => {
    const root = new URL('../..', import.meta.url).pathname;
    const scripts = (JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    const [command, ...args] = (scripts['describe'] ?? '').split(' ');
    expect(command).toBe('node');
    const { stdout } = await promisify(execFile)(process.execPath, [...args, '--zh'], { cwd: root, timeout: 120_000 });
    expect(stdout).toBe(await readFile(new URL('./golden/examples.zh.md', import.meta.url), 'utf8'));
  }, 120_000);
});
