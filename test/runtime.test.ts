/**
 * The Node this run is on, and its native build of better-sqlite3. `.ci/run` runs `npm test` on the
 * system Node (20) and on Node 22 and 24 with `EXPECT_NODE_MAJOR` set: a run that silently fell back
 * to another Node, or loaded a better-sqlite3 built for another ABI, fails here.
 */
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);

describe('runtime', () => {
  it('runs on a supported Node (the engines range) and, in CI, on the Node the run asked for', () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    console.log(`node ${process.versions.node} (ABI ${process.versions.modules}) at ${process.execPath}`);
    const engines = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines.node;
    const [, lowMajor = '0', lowMinor = '0'] = /^>=(\d+)\.(\d+)/.exec(engines) ?? [];
    expect(major > Number(lowMajor) || (major === Number(lowMajor) && minor >= Number(lowMinor)), `node ${process.versions.node} is below ${engines}`).toBe(true);
    const expected = process.env['EXPECT_NODE_MAJOR'];
    if (expected !== undefined && expected !== '') expect(major).toBe(Number(expected));
  });

  it('loads the better-sqlite3 native build made for this Node', () => {
    const Database = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Database(':memory:');
    try {
      const row = db.prepare('select sqlite_version() as version').get() as { version: string };
      const version = (require('better-sqlite3/package.json') as { version: string }).version;
      console.log(`better-sqlite3 ${version} native build loaded by node ${process.versions.node}: SQLite ${row.version}`);
      expect(row.version).toMatch(/^3\.\d+\.\d+$/);
    } finally {
      db.close();
    }
  });
});
