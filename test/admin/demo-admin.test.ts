/**
 * `npm run demo -- --admin`: the Todo demo keeps its loop running and serves the admin page on
 * 127.0.0.1, printing its URL with a token; the page, the API and an action work; SIGTERM closes it.
 * Run as a user would, in a real child process, on both stores (SQLite file and --memory).
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http } from './fixture.js';

const root = new URL('../..', import.meta.url).pathname;

async function demo(args: string[]): Promise<void> {
  const folder = await mkdtemp(join(tmpdir(), 'todo-admin-'));
  const child = spawn(process.execPath, ['--conditions=rx-reconcile-source', '--no-warnings', '--loader', 'ts-node/esm', 'examples/todo.ts', '--admin', ...args, folder], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no admin URL printed:\n${out}`)), 90_000);
      const check = (): void => {
        const m = /Admin page: (http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          child.stdout.off('data', check);
          resolve(`${m[1]} ${m[2]}`);
        }
      };
      child.stdout.on('data', check);
      void exited.then(() => reject(new Error(`demo exited early:\n${out}`)));
    });
    const [url, token] = line.split(' ') as [string, string];
    const page = await http(url, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('rx-reconcile admin');
    const loops = (await http(url, 'GET', '/api/loops')).json<{ readOnly: boolean; loops: { name: string; kind: string; health: { ready: boolean } }[] }>();
    expect(loops.readOnly).toBe(false);
    expect(loops.loops).toMatchObject([{ name: 'todo', kind: 'Todo', health: { ready: true } }]);
    const trigger = await http(url, 'POST', '/api/loops/todo/keys/ship-it/trigger', { headers: { Authorization: `Bearer ${token}` } });
    expect(trigger.status).toBe(200);
    expect((await http(url, 'POST', '/api/loops/todo/pause')).status).toBe(401);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('admin closed');
    expect(out).toMatch(/pass ship-it\s+manual\s+→ converged/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(folder, { recursive: true, force: true });
  }
}

describe('npm run demo -- --admin', () => {
  it('serves the admin page of the Todo loop on a SQLite file, until SIGTERM', () => demo([]), 120_000);
  it('and with --memory', () => demo(['--memory']), 120_000);
});
