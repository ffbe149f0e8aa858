/**
 * docs/design.md stays true: a section per promise G1–G21, every test it links exists and holds the
 * test names it quotes, every G<n> the library's code cites is defined there, and the README's
 * promise table lists every promise with a link to its section.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const designPath = join(root, 'docs', 'design.md');
const design = readFileSync(designPath, 'utf8');
const PROMISES = Array.from({ length: 21 }, (_, i) => `G${i + 1}`);

/** The `### G<n>` sections of the design document, each with its text up to the next heading. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^(?=#{1,3} )/m);
  for (const part of parts) {
    const m = /^### (G\d+)\s*$/m.exec(part.split('\n')[0] ?? '');
    if (m?.[1] !== undefined) {
      if (out.has(m[1])) throw new Error(`docs/design.md has two sections ${m[1]}`);
      out.set(m[1], part);
    }
  }
  return out;
}

/** Links to test files, each with the test names quoted (“…”) after it on the same line. */
export function testCitations(markdown: string, from: string): { file: string; names: string[]; line: number }[] {
  const out: { file: string; names: string[]; line: number }[] = [];
  markdown.split('\n').forEach((text, i) => {
    const links = [...text.matchAll(/\[[^\]]*\]\(([^)#\s]*test\/[^)#\s]+)\)/g)];
    links.forEach((link, k) => {
      const start = (link.index ?? 0) + link[0].length;
      const end = links[k + 1]?.index ?? text.length;
      const names = [...text.slice(start, end).matchAll(/“([^”]+)”/g)].map((m) => m[1] ?? '');
      out.push({ file: resolve(dirname(from), link[1] ?? ''), names, line: i + 1 });
    });
  });
  return out;
}

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The library's own folders: the kernel, and the folder of every entry point in package.json `exports`. */
function libraryFolders(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const folders = new Set(['src']);
  for (const target of Object.values(pkg.exports)) {
    const source = typeof target === 'object' && target !== null ? (target as Record<string, unknown>)['rx-reconcile-source'] : undefined;
    if (typeof source !== 'string') continue;
    const folder = dirname(source.replace(/^\.\//, ''));
    if (folder !== '.') folders.add(folder);
  }
  return [...folders];
}

describe('docs/design.md', () => {
  const found = sections(design);

  it('has one section for each promise G1–G21, and none beyond', () => {
    expect([...found.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)))).toEqual(PROMISES);
  });

  it('links each promise to at least one test file, or says plainly that it has none', () => {
    for (const [promise, text] of found) {
      const cited = testCitations(text, designPath);
      expect(cited.length > 0 || /not (yet )?proven by a test/i.test(text), `${promise} cites no test`).toBe(true);
    }
  });

  it('links only test files that exist, and quotes only test names that appear in them', () => {
    const citations = testCitations(design, designPath);
    expect(citations.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    for (const { file, names, line } of citations) {
      const where = `docs/design.md:${line}`;
      if (!existsSync(file)) {
        wrong.push(`${where} links ${relative(root, file)}, which does not exist`);
        continue;
      }
      // Test names are string literals: read them without their escapes (it('the token\'s name')).
      const text = readFileSync(file, 'utf8').replace(/\\(['"`])/g, '$1');
      for (const name of names) if (!text.includes(name)) wrong.push(`${where}: “${name}” is not in ${relative(root, file)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('defines every promise G<n> that the library code cites', () => {
    const defined = new Set(found.keys());
    const cited: string[] = [];
    for (const folder of libraryFolders()) {
      for (const file of tsFiles(join(root, folder))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/\bG(\d{1,3})\b/g)) {
          const promise = `G${m[1] ?? ''}`;
          if (!defined.has(promise)) cited.push(`${relative(root, file)} cites ${promise}`);
        }
      }
    }
    expect(cited).toEqual([]);
  });

  it('is what the code cites: no source file points to a DESIGN.md the repository does not hold', () => {
    const stale: string[] = [];
    for (const folder of [...libraryFolders(), 'examples', 'bench']) {
      for (const file of tsFiles(join(root, folder))) {
        if (/\bDESIGN\.md\b/.test(readFileSync(file, 'utf8'))) stale.push(relative(root, file));
      }
    }
    expect(stale).toEqual([]);
  });
});

describe('README promise table', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');

  it('lists every promise G1–G21 once, each linking to its section of docs/design.md', () => {
    const rows = readme.split('\n').filter((line) => /^\| \[G\d+\]\(docs\/design\.md#g\d+\) \|/.test(line));
    const listed = rows.map((row) => {
      const m = /^\| \[(G\d+)\]\(docs\/design\.md#(g\d+)\) \| (.+) \|$/.exec(row);
      expect(m, row).not.toBeNull();
      expect(m?.[2], row).toBe(m?.[1]?.toLowerCase());
      expect((m?.[3] ?? '').trim().length, row).toBeGreaterThan(10);
      return m?.[1];
    });
    expect(listed).toEqual(PROMISES);
  });
});
