/**
 * Type-checks the examples in the doc comments of the public API (issue 16, item 4).
 *
 *   npx tsx scripts/check-doc-examples.ts [--require-examples] [--keep] [--quiet]
 *
 * 1. Reads the entry points from `package.json` `exports` (the `rx-reconcile-source` path of each
 *    entry), so a new entry is picked up without touching this script.
 * 2. Walks each entry's exports with the TypeScript compiler API and, for every exported value
 *    (function, const, class, enum, namespace), reads the doc comments of its declarations.
 * 3. Writes every fenced ```ts (or ```typescript) block to `.doc-examples/run-<pid>/<entry>-<name>-<n>.ts`
 *    (gitignored, deleted afterwards unless `--keep`): the examples import the package by name
 *    (`rx-reconcile`, `rx-reconcile/operators`, …) as users do; the names resolve through the
 *    package's own `exports` with the `rx-reconcile-source` condition, like the repository's tsconfig.
 * 4. Compiles all of them in ONE program with the repository's compiler options (strict,
 *    exactOptionalPropertyTypes, noUncheckedIndexedAccess, verbatimModuleSyntax, …), except the two
 *    unused-name lints: an example may name a value it does not use further (`const loop = …`).
 *
 * An example may state what it takes from around it with `declare const store: Store;` lines: that is
 * TypeScript, and says to the reader what the example assumes.
 *
 * Prints each failing example with the file:line of the doc comment it came from, then the public
 * value exports that have no example. Exits 1 when an example fails (or, with `--require-examples`,
 * when an export has none), 0 otherwise.
 */
import { mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const unknown = [...args].filter((a) => !['--require-examples', '--keep', '--quiet'].includes(a));
if (unknown.length > 0) {
  console.error(`Unknown option(s): ${unknown.join(', ')}. Known: --require-examples, --keep, --quiet.`);
  process.exit(2);
}
const requireExamples = args.has('--require-examples');
const keep = args.has('--keep');
const quiet = args.has('--quiet');

/** One entry point of the package: `rx-reconcile/operators` ↔ `operators/index.ts`. */
interface Entry {
  /** The specifier users import: `rx-reconcile`, `rx-reconcile/operators`, … */
  readonly specifier: string;
  /** A short name for file names and messages: `root`, `operators`, … */
  readonly label: string;
  /** Absolute path of the entry's source file. */
  readonly file: string;
}

/** One fenced example of one doc comment. */
interface Example {
  readonly entry: Entry;
  readonly name: string;
  /** Where the doc comment is: repository-relative file and the 1-based line of the code's first line. */
  readonly source: string;
  readonly firstLine: number;
  readonly code: string;
  /** The temporary file it is compiled as (absolute). */
  tempFile: string;
}

function readEntries(): Entry[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, unknown> };
  const entries: Entry[] = [];
  for (const [key, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== 'object' || target === null) continue; // "./package.json": "./package.json"
    const source = (target as Record<string, unknown>)['rx-reconcile-source'];
    if (typeof source !== 'string' || !source.endsWith('.ts')) continue;
    const specifier = key === '.' ? pkg.name : `${pkg.name}/${key.replace(/^\.\//, '')}`;
    const label = key === '.' ? 'root' : key.replace(/^\.\//, '').replace(/[^A-Za-z0-9]+/g, '-');
    entries.push({ specifier, label, file: resolve(root, source) });
  }
  if (entries.length === 0) throw new Error('package.json has no `exports` entry with an "rx-reconcile-source" condition');
  return entries;
}

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false };
}

/** The node whose leading comments document `declaration` (a `const` is documented on its statement). */
function documentedNode(declaration: ts.Declaration): ts.Node {
  if (ts.isVariableDeclaration(declaration) && ts.isVariableDeclarationList(declaration.parent)) return declaration.parent.parent;
  return declaration;
}

/** The `/** … *\/` comments right before `node`, with their positions. */
function docComments(node: ts.Node): { text: string; pos: number }[] {
  const sf = node.getSourceFile();
  const text = sf.getFullText();
  // A module namespace (`export * as Backoff from './backoff.js'`) is documented by its file's first comment.
  const start = ts.isSourceFile(node) ? 0 : node.getFullStart();
  const ranges = ts.getLeadingCommentRanges(text, start) ?? [];
  const docs = ranges
    .filter((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith('/**', r.pos))
    .map((r) => ({ text: text.slice(r.pos, r.end), pos: r.pos }));
  return ts.isSourceFile(node) ? docs.slice(0, 1) : docs.slice(-1);
}

/** The fenced ```ts blocks of a doc comment, each with the offset (in lines) of its first code line. */
function fencedExamples(comment: string): { code: string; lineOffset: number }[] {
  const lines = comment.split('\n').map((line) => line.replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/\s*$/, '').replace(/^\s*\* ?/, ''));
  const out: { code: string; lineOffset: number }[] = [];
  let open: { fence: string; start: number; body: string[] } | undefined;
  lines.forEach((line, i) => {
    if (open === undefined) {
      const m = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(line);
      if (m) open = { fence: m[2] ?? '```', start: i + 1, body: [] };
      return;
    }
    if (line.trim() === open.fence) {
      out.push({ code: open.body.join('\n'), lineOffset: open.start });
      open = undefined;
      return;
    }
    open.body.push(line);
  });
  return out;
}

function isValue(symbol: ts.Symbol): boolean {
  return (symbol.flags & ts.SymbolFlags.Value) !== 0;
}

/** `export type { QueueControl }` of a class: users get the type only, not a value. */
function isTypeOnlyExport(exported: ts.Symbol): boolean {
  return (exported.getDeclarations() ?? []).some(
    (d) => (ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly)) || (ts.isNamespaceExport(d) && d.parent.isTypeOnly),
  );
}

function main(): number {
  const entries = readEntries();
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);

  // Pass 1: the entries' exports and their doc comments.
  const entryProgram = ts.createProgram(
    entries.map((e) => e.file),
    options,
    host,
  );
  const checker = entryProgram.getTypeChecker();
  const examples: Example[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  let values = 0;
  for (const entry of entries) {
    const sf = entryProgram.getSourceFile(entry.file);
    if (!sf) throw new Error(`entry ${entry.specifier}: ${relative(root, entry.file)} is not in the program`);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    if (!moduleSymbol) continue;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!isValue(symbol) || isTypeOnlyExport(exported)) continue;
      const name = exported.getName();
      const declarations = symbol.getDeclarations() ?? [];
      const id = declarations.map((d) => `${d.getSourceFile().fileName}:${d.pos}`).join('|') || `${entry.label}:${name}`;
      if (seen.has(id)) continue; // exported by two entries (or twice): checked once, under the first
      seen.add(id);
      values++;
      const comments = new Map<number, { text: string; file: string; line: number }>();
      for (const declaration of declarations) {
        const node = documentedNode(declaration);
        const file = node.getSourceFile();
        for (const c of docComments(node)) {
          comments.set(c.pos + file.fileName.length * 1e9, { text: c.text, file: file.fileName, line: file.getLineAndCharacterOfPosition(c.pos).line + 1 });
        }
      }
      let n = 0;
      for (const comment of comments.values()) {
        for (const ex of fencedExamples(comment.text)) {
          n++;
          examples.push({
            entry,
            name,
            source: relative(root, comment.file),
            firstLine: comment.line + ex.lineOffset,
            code: ex.code,
            tempFile: '',
          });
        }
      }
      if (n === 0) missing.push(`${entry.specifier}: ${name}`);
    }
  }

  // Pass 2: every example as a file of its own, all in one program.
  const dir = join(root, '.doc-examples', `run-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const counters = new Map<string, number>();
  for (const ex of examples) {
    const base = `${ex.entry.label}-${ex.name}`;
    const n = (counters.get(base) ?? 0) + 1;
    counters.set(base, n);
    ex.tempFile = join(dir, `${base}-${n}.ts`);
    // Every example is a module (top-level await, no global clashes between examples).
    const isModule = /^\s*(import|export)\s/m.test(ex.code);
    writeFileSync(ex.tempFile, isModule ? `${ex.code}\n` : `${ex.code}\nexport {};\n`);
  }
  let failures = 0;
  try {
    const program = ts.createProgram(
      examples.map((e) => e.tempFile),
      options,
      ts.createCompilerHost(options, true),
    );
    const byFile = new Map(examples.map((e) => [resolve(e.tempFile), e]));
    for (const ex of examples) {
      const sf = program.getSourceFile(ex.tempFile);
      if (!sf) throw new Error(`${ex.tempFile} is not in the program`);
      const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      if (diagnostics.length === 0) continue;
      failures++;
      console.log(`✗ ${ex.source}:${ex.firstLine}: example of ${ex.entry.specifier} ${ex.name} does not compile`);
      for (const d of diagnostics) {
        const message = ts.flattenDiagnosticMessageText(d.messageText, '\n      ');
        if (d.file && d.start !== undefined && byFile.has(resolve(d.file.fileName))) {
          const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
          console.log(`    ${ex.source}:${ex.firstLine + line}:${character + 1} TS${d.code}: ${message}`);
        } else {
          console.log(`    TS${d.code}: ${message}`);
        }
      }
      if (keep) console.log(`    (compiled as ${relative(root, ex.tempFile)})`);
    }
  } finally {
    if (!keep) {
      rmSync(dir, { recursive: true, force: true });
      try {
        rmdirSync(join(root, '.doc-examples')); // only when empty: another run may be using it
      } catch {
        // not empty, or already gone
      }
    }
  }

  if (missing.length > 0 && !quiet) {
    console.log(`\nPublic value exports without an example (${missing.length}):`);
    for (const m of missing) console.log(`  - ${m}`);
  }
  const examplesPerEntry = entries.map((e) => `${e.label} ${examples.filter((x) => x.entry === e).length}`).join(', ');
  console.log(
    `\n${examples.length} examples (${examplesPerEntry}) from ${values} public value exports of ${entries.length} entry points: ` +
      `${examples.length - failures} compile, ${failures} fail; ${missing.length} exports have no example.`,
  );
  if (failures > 0) return 1;
  if (requireExamples && missing.length > 0) {
    console.log('--require-examples: every public value export needs an example.');
    return 1;
  }
  return 0;
}

process.exitCode = main();
