import { describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as main from 'rx-reconcile';
import * as operators from 'rx-reconcile/operators';

const root = new URL('..', import.meta.url).pathname;

async function sources(folder: string): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const entry of await readdir(join(root, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await sources(path)));
    else if (entry.name.endsWith('.ts')) out.push({ file: path, text: await readFile(join(root, path), 'utf8') });
  }
  return out;
}

describe('project rules', () => {
  it('keeps the kernel free of operator imports (layers go one way)', async () => {
    for (const { file, text } of await sources('src')) {
      // Code only: a doc comment's example may import `rx-reconcile/operators`, as a user would.
      const code = text.split('\n').filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line)).join('\n');
      expect(code, `${file} imports operators/`).not.toMatch(/from ['"](\.\.\/)+operators|from ['"]rx-reconcile\/operators/);
    }
  });

  it('never imports rxjs/internal, and keeps time out of setTimeout/Date.now in library code', async () => {
    for (const { file, text } of [...(await sources('src')), ...(await sources('operators'))]) {
      expect(text, file).not.toMatch(/rxjs\/internal/);
      // Code, not comments: a doc comment's example may show a user's own setTimeout.
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/\bsetTimeout\(|\bsetInterval\(|Date\.now\(/);
    }
  });

  it('names each operator file after its export (kebab-case file, camelCase export)', async () => {
    const files = (await readdir(join(root, 'operators'))).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && f !== 'read.ts');
    for (const file of files) {
      const name = file.replace(/\.ts$/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const module = (await import(join(root, 'operators', file))) as Record<string, unknown>;
      expect(module, `operators/${file} should export ${name}`).toHaveProperty(name);
    }
  });

  it('exposes the documented entry points', () => {
    for (const name of ['createMemoryStore', 'defineLoop', 'Outcome', 'Backoff', 'setDiff', 'ConflictError', 'ValidationError', 'keyOf']) {
      expect(main, name).toHaveProperty(name);
    }
    for (const name of ['observe', 'compare', 'correct', 'verify', 'workQueue', 'resync', 'watchRequests', 'triggerOwners', 'triggerWith', 'createQueueControl']) {
      expect(operators, name).toHaveProperty(name);
    }
  });
});
