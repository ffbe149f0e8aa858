/**
 * {@link checkStoreConformance}: does a `Store` keep the contract of src/types.ts? Runs every store
 * property (store-properties.ts) as a fast-check property against fresh stores from your factory.
 *
 * @module
 */
import fc from 'fast-check';
import { StoreConformanceError } from './errors.js';
import { ContractViolation } from './store-harness.js';
import type { MakeStore } from './store-harness.js';
import { storeProperties } from './store-properties.js';

/** Options of {@link checkStoreConformance}. */
export interface StoreConformanceOptions {
  /** Generated cases per property. Default 20. */
  readonly numRuns?: number;
  /** fast-check seed: give the seed of a failure (with `only` and `path`) to replay it. Default: random. */
  readonly seed?: number;
  /** fast-check path of a failure's counterexample, to replay just that case (with `only`). */
  readonly path?: string;
  /** Run only the properties with these names (see the report, or the message of a failure). */
  readonly only?: readonly string[];
  /** What the factory can do beyond making an empty store with the given kinds. */
  readonly capabilities?: {
    /** The factory honours `setup.history` (a store keeping only that many changes): compaction is checked. */
    readonly history?: boolean;
    /** The factory honours `setup.maxResourceBytes`; without it the default 1.5 MiB limit is assumed. */
    readonly maxResourceBytes?: boolean;
  };
  /** ms to wait for a watch event that must come (raise it for remote stores). Default 2000. */
  readonly eventTimeout?: number;
}

/** What a passing check ran. */
export interface StoreConformanceReport {
  /** The fast-check seed every property ran with. */
  readonly seed: number;
  readonly properties: readonly { readonly name: string; readonly numRuns: number; readonly skipped?: string }[];
}

/**
 * Checks that a store keeps the `Store` contract: compare-and-set on version, generation rules,
 * writes that change nothing not written, finalizer-aware delete, schema refusals storing nothing
 * (and the schema's output stored), watch = list + `synced` + changes in write order with `old`,
 * resume by revision, `CompactedError` after compaction, bad input refused with typed errors storing
 * nothing, special keys kept as data, racing writers (in one handle, and across two handles when the
 * factory offers a second). Everything is compared with the memory store's behaviour where it can be.
 *
 * Use it for your own store adapter, in any test runner (it needs none): it resolves to a report, or
 * rejects with a `StoreConformanceError` naming the property, the shrunk counterexample and the seed.
 *
 * The factory is called once per generated case and must give an **empty** store with
 * `setup.kinds` registered (zod schemas; `Store` has no `registerKind`), plus an optional `cleanup`
 * (close, remove temp files) and an optional `openSecond` (another handle on the same data).
 *
 * ## Example
 * ```ts
 * import { mkdtemp } from 'node:fs/promises';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { checkStoreConformance } from 'rx-reconcile/testing';
 * import { createSqliteStore } from 'rx-reconcile/sqlite';
 *
 * await checkStoreConformance(async ({ kinds, history }) => {
 *   const path = join(await mkdtemp(join(tmpdir(), 'conformance-')), 'store.db');
 *   const store = createSqliteStore({ path, kinds, ...(history === undefined ? {} : { history }) });
 *   return {
 *     store,
 *     openSecond: () => { const second = createSqliteStore({ path, kinds }); return { store: second, cleanup: () => second.close() }; },
 *     cleanup: () => store.close(),
 *   };
 * }, { capabilities: { history: true } });
 * ```
 */
export async function checkStoreConformance(make: MakeStore, options: StoreConformanceOptions = {}): Promise<StoreConformanceReport> {
  const seed = options.seed ?? Math.floor(Math.random() * 0x7fffffff);
  const numRuns = options.numRuns ?? 20;
  const capabilities = { history: options.capabilities?.history === true, maxResourceBytes: options.capabilities?.maxResourceBytes === true };
  const context = { make, eventTimeout: options.eventTimeout ?? 2000, capabilities };
  let secondHandle: boolean | undefined;
  const report: { name: string; numRuns: number; skipped?: string }[] = [];
  for (const property of storeProperties) {
    if (options.only !== undefined && !options.only.includes(property.name)) continue;
    if (property.needs === 'history' && !capabilities.history) {
      report.push({ name: property.name, numRuns: 0, skipped: 'the factory does not declare capabilities.history' });
      continue;
    }
    if (property.needs === 'secondHandle') {
      secondHandle ??= await offersSecondHandle(make);
      if (!secondHandle) {
        report.push({ name: property.name, numRuns: 0, skipped: 'the factory offers no openSecond' });
        continue;
      }
    }
    const details = await fc.check(property.property(context), { numRuns, seed, ...(options.path === undefined ? {} : { path: options.path }) });
    if (details.failed) {
      const cause = details.errorInstance;
      const counterexample = details.counterexample?.[0];
      const what = cause instanceof ContractViolation ? cause.message : `the store threw ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`;
      throw new StoreConformanceError(
        `store contract broken: "${property.name}"\n  ${what}\n  counterexample: ${printable(counterexample)}\n` +
          `  replay: checkStoreConformance(make, { only: [${JSON.stringify(property.name)}], seed: ${details.seed}, path: ${JSON.stringify(details.counterexamplePath)} })`,
        { property: property.name, seed: details.seed, path: details.counterexamplePath ?? '', counterexample, numRuns: details.numRuns, numShrinks: details.numShrinks },
        cause,
      );
    }
    report.push({ name: property.name, numRuns: details.numRuns });
  }
  return { seed, properties: report };
}

/** The names of the properties {@link checkStoreConformance} runs, in order. */
export const storePropertyNames: readonly string[] = storeProperties.map((p) => p.name);

async function offersSecondHandle(make: MakeStore): Promise<boolean> {
  const made = await make({ kinds: {} });
  try {
    return typeof made.openSecond === 'function';
  } finally {
    await made.cleanup?.();
  }
}

function printable(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof Date ? `Date(${v.toISOString()})` : v));
    return text === undefined ? String(value) : text.length > 600 ? `${text.slice(0, 599)}…` : text;
  } catch {
    return '(a value JSON cannot print, e.g. a cycle)';
  }
}
