/**
 * Golden files of `npm run describe`: the example loops (todo, configs) after their scenario in
 * virtual time, in English and in Chinese, as Markdown and as HTML. A change to the output is a
 * visible diff in test/describe/golden/; review it, then accept it with
 * `npx vitest run test/describe/golden.test.ts -u`.
 */
import { describe, expect, it } from 'vitest';
import { describeExamples } from '../../examples/describe.js';

describe('npm run describe (golden files)', () => {
  it('renders the example loops in English, the same on every run', async () => {
    const first = await describeExamples();
    const second = await describeExamples();
    expect(second).toBe(first);
    await expect(first).toMatchFileSnapshot('./golden/examples.en.md');
  });

  it('renders the example loops in Chinese (the template\'s language)', async () => {
    await expect(await describeExamples({ language: 'zh' })).toMatchFileSnapshot('./golden/examples.zh.md');
  });

  it('renders the same document as an HTML fragment', async () => {
    await expect(await describeExamples({ format: 'html' })).toMatchFileSnapshot('./golden/examples.en.html');
  });

  it('holds no timestamp, absolute path or random id', async () => {
    const markdown = await describeExamples();
    expect(markdown).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/); // no ISO time (the schema example uses none either)
    expect(markdown).not.toContain(process.cwd());
    expect(markdown).not.toMatch(/\/tmp\/|\\\\/);
    expect(markdown).toContain('`examples/todo.ts:');
  });
});

describe('npm run describe (the script, in a child process)', () => {
  it('prints the Chinese golden file with -- --zh', async () => {
    const { execFile } = await import('node:child_process');
    const { readFile } = await import('node:fs/promises');
    const { promisify } = await import('node:util');
    const root = new URL('../..', import.meta.url).pathname;
    const scripts = (JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts;
    const [command, ...args] = (scripts['describe'] ?? '').split(' ');
    expect(command).toBe('node');
    const { stdout } = await promisify(execFile)(process.execPath, [...args, '--zh'], { cwd: root, timeout: 120_000 });
    expect(stdout).toBe(await readFile(new URL('./golden/examples.zh.md', import.meta.url), 'utf8'));
  }, 120_000);
});
