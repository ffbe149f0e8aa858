/**
 * The harness under {@link checkStoreConformance}: the factory interface a store adapter implements
 * to be checked, and the helpers the store properties use (opening and cleaning up a store per run,
 * recording a watch, waiting for events with a deadline, assertions that say what differed).
 *
 * @module
 */
import type { ZodType } from 'zod';
import { deepEqual, keyOf } from '../src/index.js';
import type { Resource, Store, WatchEvent } from '../src/index.js';
import { show } from './format.js';

/** What the suite asks of a store it is about to check. */
export interface StoreSetup {
  /** Kinds and their spec schemas to register before the run (`Store` itself has no `registerKind`). */
  readonly kinds: Readonly<Record<string, { readonly schema?: ZodType<unknown> }>>;
  /** Keep only this many changes for watch resume. Set only when the factory declares `capabilities.history`. */
  readonly history?: number;
  /** Refuse resources larger than this many JSON characters. Set only with `capabilities.maxResourceBytes`. */
  readonly maxResourceBytes?: number;
}

/** One store made for one run, and how to let go of it. */
export interface StoreUnderTest {
  /** An empty store, with `setup.kinds` registered. */
  readonly store: Store;
  /**
   * A second, independent handle on the same data (another connection, process or client), when the
   * store can have one: the suite checks that writes through either are seen by the other and that
   * racing writes through both keep compare-and-set.
   */
  readonly openSecond?: () => Promise<StoreUnderTest> | StoreUnderTest;
  /** Closes the store and removes what the run made (files, prefixes). Called once per run, also after failures. */
  readonly cleanup?: () => Promise<void> | void;
}

/** Makes an empty store for one run. Called once per generated case: keep it cheap (a temp file, a fresh prefix). */
export type MakeStore = (setup: StoreSetup) => Promise<StoreUnderTest> | StoreUnderTest;

/** A broken promise of the store contract, thrown inside a run; fast-check shrinks its case. */
export class ContractViolation extends Error {}

/** Fails the run with `message` unless `condition`. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ContractViolation(message);
}

/** Fails the run unless `actual` deep-equals `expected`, showing both. */
export function checkEqual(actual: unknown, expected: unknown, what: string): void {
  if (!deepEqual(actual, expected)) throw new ContractViolation(`${what}: got ${show(actual, 400)}, expected ${show(expected, 400)}`);
}

/** Runs `action`, which must reject with an error of `code`; returns the error. */
export async function checkRejects(action: () => Promise<unknown>, code: string, what: string): Promise<Error> {
  let result: unknown;
  try {
    result = await action();
  } catch (error) {
    const found = (error as { code?: unknown } | null)?.code;
    check(found === code, `${what}: rejected with ${String(found ?? error)}, expected an error with code ${code} (${String((error as Error)?.message)})`);
    return error as Error;
  }
  throw new ContractViolation(`${what}: resolved to ${show(result)}, expected a rejection with code ${code}`);
}

/** The parts of a resource every store must agree on (no uid, timestamps, versions or revisions). */
export function essence(resource: Resource | undefined): unknown {
  if (resource === undefined) return undefined;
  const m = resource.metadata;
  return {
    kind: resource.kind,
    key: keyOf(resource),
    generation: m.generation,
    labels: m.labels,
    annotations: m.annotations,
    finalizers: m.finalizers,
    ownerReferences: m.ownerReferences,
    deleting: m.deletionTimestamp !== undefined,
    spec: resource.spec,
    status: resource.status,
  };
}

/** The watch events of one kind as they arrive, and waiting for them. */
export interface Recording {
  readonly events: WatchEvent[];
  readonly errors: unknown[];
  /** Waits until `done()` holds, or fails the run after the suite's event timeout. */
  until(done: () => boolean, what: string): Promise<void>;
  stop(): void;
}

/** Subscribes to `store.watch(kind, options)` and records what it emits. */
export function record(store: Store, kind: string, timeout: number, options?: { sinceRevision: number }): Recording {
  const events: WatchEvent[] = [];
  const errors: unknown[] = [];
  const subscription = store.watch(kind, options).subscribe({ next: (e) => void events.push(e), error: (e: unknown) => void errors.push(e) });
  return {
    events,
    errors,
    async until(done, what) {
      const deadline = Date.now() + timeout;
      while (!done()) {
        if (errors.length > 0) throw new ContractViolation(`${what}: the watch of ${kind} failed with ${String(errors[0])}`);
        if (Date.now() > deadline) {
          throw new ContractViolation(`${what}: not seen on the watch of ${kind} within ${timeout} ms (events so far: ${events.map(describeEvent).join(', ') || 'none'})`);
        }
        await new Promise((resolve) => setTimeout(resolve, events.length === 0 ? 1 : 2));
      }
    },
    stop: () => subscription.unsubscribe(),
  };
}

/** `type name@revision` (with `*` for list events) or `synced@revision`. */
export function describeEvent(event: WatchEvent): string {
  if (event.type === 'synced') return `synced@${event.revision}`;
  return `${event.type}${event.initial ? '*' : ''} ${keyOf(event.object)}@${event.object.metadata.revision}`;
}

/** The name of the resource the suite writes to know a watch has caught up (spec `{ title: counter }`, valid for any schema the suite registers). */
export const BARRIER = '~barrier';

/**
 * Writes the barrier resource of `kind` and waits until `recording` shows that write: every event of
 * an earlier write of the kind has been delivered by then (watches are in write order).
 */
export async function barrier(store: Store, kind: string, recording: Recording): Promise<void> {
  const current = await store.get(kind, BARRIER);
  const written =
    current === undefined
      ? await store.create(kind, { metadata: { name: BARRIER }, spec: { title: '0' } })
      : await store.update({ ...current, spec: { title: String(Number((current.spec as { title?: string }).title ?? 0) + 1) } });
  const revision = written.metadata.revision;
  await recording.until(
    () => recording.events.some((e) => e.type !== 'synced' && e.object.metadata.name === BARRIER && e.object.metadata.revision === revision),
    `the barrier write at revision ${revision}`,
  );
}

/** Events without the barrier resource's. */
export function withoutBarrier(events: readonly WatchEvent[]): WatchEvent[] {
  return events.filter((e) => e.type === 'synced' || e.object.metadata.name !== BARRIER);
}

/** A store made for a run, closed however the run ends. */
export async function withStore<T>(make: MakeStore, setup: StoreSetup, run: (made: StoreUnderTest) => Promise<T>): Promise<T> {
  const made = await make(setup);
  try {
    return await run(made);
  } finally {
    await made.cleanup?.();
  }
}
