/**
 * The public surface, pinned: the exact sorted list of names each entry point exports (types included).
 * A change to the API shows up here as a diff to review; the total stays within 150 names.
 *
 * Also: no name is exported by two entries, the runtime exports match the declared values, and the
 * optional peers stay in their adapters (types included) — a consumer without prom-client, better-sqlite3,
 * etcd3, pino or fast-check can import `rx-reconcile` and `rx-reconcile/operators`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(new URL('..', import.meta.url).pathname);

/** Entry point → the file that implements it, from package.json's `exports` (source condition). */
function entries(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [path, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || target === null) continue;
    const source = (target as Record<string, string>)['rx-reconcile-source'];
    if (source !== undefined) out[path === '.' ? 'rx-reconcile' : `rx-reconcile/${path.slice(2)}`] = join(root, source);
  }
  return out;
}

const EXPECTED: Record<string, readonly string[]> = {
  "rx-reconcile": [
    "AlreadyExistsError",
    "Backoff",
    "BackoffPolicy",
    "CompactedError",
    "Condition",
    "ConflictError",
    "Coordinator",
    "Correction",
    "DependencyNotReadyError",
    "ErrorCode",
    "FailureClass",
    "Fence",
    "FencedError",
    "InvalidArgumentError",
    "Key",
    "KindDefinition",
    "Logger",
    "Loop",
    "LoopContext",
    "LoopHealth",
    "LoopOptions",
    "LoopState",
    "MalformedResourceError",
    "MemoryStore",
    "MemoryStoreOptions",
    "Metadata",
    "Metrics",
    "NewResource",
    "NotFoundError",
    "Outcome",
    "OwnerReference",
    "PassContext",
    "PassResult",
    "PermanentError",
    "Plan",
    "ReconcileError",
    "ReconcileRequest",
    "ReconcileStatus",
    "Resource",
    "ResourceEvent",
    "ResourceTooLargeError",
    "StoppedError",
    "Store",
    "StoreClosedError",
    "StreamLoopOptions",
    "TimeoutError",
    "TransientError",
    "TriggerReason",
    "ValidationError",
    "WatchEvent",
    "addFinalizer",
    "apply",
    "classifyError",
    "createMemoryStore",
    "deepEqual",
    "defineKind",
    "defineLoop",
    "deleteIfExists",
    "describeLoops",
    "describeLoopsDocument",
    "describeLoopsHtml",
    "ensureChildren",
    "generationChanged",
    "getCondition",
    "isConditionTrue",
    "isOwnedBy",
    "keyOf",
    "onAdd",
    "onDelete",
    "onUpdate",
    "once",
    "ownerReferenceOf",
    "parseKey",
    "rateLimit",
    "removeFinalizer",
    "setCondition",
    "setDiff",
    "watchLoops",
  ],
  "rx-reconcile/operators": [
    "ApplyFn",
    "CompareFn",
    "InvalidSpecError",
    "QueueControl",
    "QueueSnapshot",
    "QueueStats",
    "Work",
    "WorkQueueOptions",
    "compare",
    "correct",
    "createQueueControl",
    "ignoreOwnWrites",
    "instrument",
    "observe",
    "resync",
    "retryWithBackoff",
    "triggerOwners",
    "triggerWith",
    "verify",
    "watchEvents",
    "watchRequests",
    "withConditions",
    "withFinalizer",
    "withOwnership",
    "withSchema",
    "workQueue",
  ],
  "rx-reconcile/testing": [
    "CheckFailedError",
    "CheckReport",
    "DesiredResource",
    "Faults",
    "LoopDefinition",
    "NotConvergentError",
    "NotIdempotentError",
    "Random",
    "SimulationOptions",
    "SimulationScheduler",
    "StoreConformanceError",
    "TestingError",
    "World",
    "checkConvergence",
    "checkIdempotent",
    "checkStoreConformance",
    "createTestScheduler",
    "expectTimeline",
    "faultyActuator",
    "faultyStore",
    "faultyWorld",
    "formatTrace",
    "loopDefinition",
    "memoryWorld",
    "replayFailure",
    "seededRandom",
    "simulate",
    "startSimulation",
  ],
  "rx-reconcile/sqlite": [
    "SqliteStore",
    "SqliteStoreOptions",
    "createSqliteStore",
  ],
  "rx-reconcile/etcd": [
    "EtcdCoordinator",
    "EtcdCoordinatorOptions",
    "EtcdStore",
    "EtcdStoreOptions",
    "createEtcdStore",
    "etcdCoordinator",
  ],
  "rx-reconcile/admin": [
    "ALERT_RULE_FILES",
    "AdminOptions",
    "AdminServer",
    "ServeAdminOptions",
    "adminHandler",
    "serveAdmin",
  ],
  "rx-reconcile/prometheus": [
    "MetricNaming",
    "PrometheusMetricsOptions",
    "prometheusMetrics",
  ],
};

/** The names each entry exports, as the TypeScript compiler sees them, and which of them are values. */
function exportedNames(): Record<string, { names: string[]; values: string[] }> {
  const files = entries();
  const program = ts.createProgram(Object.values(files), {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    customConditions: ['rx-reconcile-source'],
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const out: Record<string, { names: string[]; values: string[] }> = {};
  for (const [entry, file] of Object.entries(files)) {
    const source = program.getSourceFile(file);
    const symbol = source && checker.getSymbolAtLocation(source);
    if (symbol === undefined) throw new Error(`cannot read the exports of ${file}`);
    const exports = checker.getExportsOfModule(symbol);
    const typeOnly = (s: ts.Symbol): boolean =>
      (s.declarations ?? []).some((d) => ts.isExportSpecifier(d) && (d.isTypeOnly || d.parent.parent.isTypeOnly));
    const isValue = (s: ts.Symbol): boolean =>
      !typeOnly(s) && ((s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s).flags & ts.SymbolFlags.Value) !== 0;
    out[entry] = {
      names: exports.map((s) => s.getName()).sort(),
      values: exports.filter(isValue).map((s) => s.getName()).sort(),
    };
  }
  return out;
}

const surface = exportedNames();

describe('the public surface', () => {
  it('has exactly the pinned entry points', () => {
    expect(Object.keys(surface).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const entry of Object.keys(EXPECTED)) {
    it(`exports exactly the pinned names from ${entry}`, () => {
      expect(surface[entry]?.names).toEqual([...(EXPECTED[entry] ?? [])].sort());
    });

    it(`exports at run time exactly the values ${entry} declares`, async () => {
      const module = (await import(entry)) as Record<string, unknown>;
      expect(Object.keys(module).sort()).toEqual(surface[entry]?.values);
    });
  }

  it('stays within 150 names in all, adapters included', () => {
    const total = Object.values(EXPECTED).reduce((sum, names) => sum + names.length, 0);
    expect(total).toBeLessThanOrEqual(150);
  });

  it('exports no name from two entry points', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [entry, names] of Object.entries(EXPECTED)) {
      for (const name of names) {
        const first = seen.get(name);
        if (first !== undefined) twice.push(`${name} (${first} and ${entry})`);
        seen.set(name, entry);
      }
    }
    expect(twice).toEqual([]);
  });

  it('shadows no global of the platform (Request, Response, Event, …)', () => {
    const globals = new Set(Object.getOwnPropertyNames(globalThis));
    const shadowing = Object.values(EXPECTED).flat().filter((name) => globals.has(name));
    expect(shadowing).toEqual([]);
  });
});

/** Every module a file reaches through its imports (types included), inside the repository. */
function reachable(start: string): { files: Set<string>; packages: Map<string, string> } {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    files.add(file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      if (fileName.startsWith('.')) {
        queue.push(resolve(dirname(file), fileName.replace(/\.js$/, '.ts')));
      } else if (!fileName.startsWith('node:')) {
        const name = fileName.startsWith('@') ? fileName.split('/').slice(0, 2).join('/') : (fileName.split('/')[0] as string);
        if (!packages.has(name)) packages.set(name, file.slice(root.length + 1));
      }
    }
  }
  return { files, packages };
}

describe('optional peers stay in their adapters (types included)', () => {
  const optional = ['prom-client', 'better-sqlite3', 'etcd3', 'pino', 'fast-check'];
  const allowed: Record<string, readonly string[]> = {
    'rx-reconcile': [],
    'rx-reconcile/operators': [],
    'rx-reconcile/testing': ['fast-check'],
    'rx-reconcile/prometheus': ['prom-client'],
    'rx-reconcile/sqlite': ['better-sqlite3'],
    'rx-reconcile/etcd': ['etcd3'],
    'rx-reconcile/admin': ['prom-client'],
  };
  for (const [entry, file] of Object.entries(entries())) {
    it(`${entry} reaches only the optional peers it is for`, () => {
      const { packages } = reachable(file);
      const peers = [...packages].filter(([name]) => optional.includes(name) && !(allowed[entry] ?? []).includes(name));
      expect(peers.map(([name, from]) => `${name} (imported by ${from})`)).toEqual([]);
    });
  }
});
