/**
 * The properties of the store contract that {@link checkStoreConformance} checks, one per promise of
 * `Store` (src/types.ts). Each is a fast-check property over generated data and operations, run on a
 * fresh store from the user's factory, without any test runner.
 *
 * @module
 */
import fc from 'fast-check';
import type { Arbitrary, IAsyncProperty } from 'fast-check';
import { z } from 'zod';
import { createMemoryStore, deepEqual, keyOf } from '../src/index.js';
import type { Resource, ResourceEvent, Store, WatchEvent } from '../src/index.js';
import {
  BARRIER,
  barrier,
  check,
  checkEqual,
  checkRejects,
  describeEvent,
  essence,
  record,
  withStore,
  withoutBarrier,
} from './store-harness.js';
import type { MakeStore, StoreSetup } from './store-harness.js';

/** What the properties know of the run. */
export interface PropertyContext {
  readonly make: MakeStore;
  /** ms to wait for an event that must come. */
  readonly eventTimeout: number;
  readonly capabilities: { readonly history: boolean; readonly maxResourceBytes: boolean };
}

/** One property: its name, the capability it needs (if any), and the fast-check property. */
export interface StoreProperty {
  readonly name: string;
  readonly needs?: 'history' | 'secondHandle';
  readonly property: (context: PropertyContext) => IAsyncProperty<[unknown]>;
}

/** The schema of the `Typed` kind every run registers. */
const TypedSpec = z.object({ title: z.string().min(1), done: z.boolean().default(false) });
const kinds = { Typed: { schema: TypedSpec as z.ZodType<unknown> } };
const setup: StoreSetup = { kinds };

// ---- data -----------------------------------------------------------------------------------------

const specialKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'valueOf', 'toString', 'hasOwnProperty', '');
const jsonValue: Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null)),
    fc.array(tie('value'), { maxLength: 3 }),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(fc.oneof(specialKey, fc.string({ maxLength: 4 })), tie('value')), { maxLength: 4 })
    // Through JSON.parse, as data arrives: a "__proto__" key is an own key, never a prototype.
    .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`) as unknown),
})).value;
const jsonObject = jsonValue.filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v)) as Arbitrary<Record<string, unknown>>;
const spec = fc.record({ title: fc.constantFrom('a', 'b', 'c'), n: fc.integer({ min: 0, max: 3 }) });
const status = fc.oneof(fc.record({ phase: fc.constantFrom('Pending', 'Done') }), fc.record({ phase: fc.constant('Done'), n: fc.integer({ min: 0, max: 2 }) }));
const labels = fc.dictionary(fc.constantFrom('team', 'tier'), fc.constantFrom('x', 'y'), { maxKeys: 2 });
const finalizers = fc.subarray(['example.com/a', 'example.com/b']);
const name = fc.constantFrom('a', 'b', 'c');
const kind = fc.constantFrom('A', 'B');

type Op =
  | { readonly op: 'create'; readonly kind: string; readonly name: string; readonly spec: unknown; readonly labels: Record<string, string>; readonly finalizers: string[]; readonly status?: unknown }
  | { readonly op: 'update'; readonly kind: string; readonly name: string; readonly spec?: unknown; readonly labels?: Record<string, string>; readonly finalizers?: string[]; readonly stale: boolean }
  | { readonly op: 'status'; readonly kind: string; readonly name: string; readonly status: unknown; readonly stale: boolean }
  | { readonly op: 'delete'; readonly kind: string; readonly name: string };

const op: Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), kind, name, spec, labels, finalizers, status: fc.option(status, { nil: undefined }) }, { requiredKeys: ['op', 'kind', 'name', 'spec', 'labels', 'finalizers'] }),
  fc.record(
    { op: fc.constant('update' as const), kind, name, spec, labels, finalizers, stale: fc.integer({ min: 0, max: 6 }).map((n) => n === 0) },
    { requiredKeys: ['op', 'kind', 'name', 'stale'] },
  ),
  fc.record({ op: fc.constant('status' as const), kind, name, status, stale: fc.constant(false) }),
  fc.record({ op: fc.constant('delete' as const), kind, name }),
);

/** Applies `o` to `store`; the outcome as comparable data. */
async function apply(store: Store, o: Op): Promise<{ ok: true; value: unknown; wrote: boolean } | { ok: false; code: unknown }> {
  try {
    if (o.op === 'create') {
      const created = await store.create(o.kind, { metadata: { name: o.name, labels: o.labels, finalizers: o.finalizers }, spec: o.spec, ...(o.status === undefined ? {} : { status: o.status }) });
      return { ok: true, value: essence(created), wrote: true };
    }
    if (o.op === 'delete') {
      const before = await store.get(o.kind, o.name);
      const after = await store.delete(o.kind, o.name);
      return { ok: true, value: essence(after), wrote: after === undefined || after.metadata.version !== before?.metadata.version };
    }
    const current = await store.get(o.kind, o.name);
    const target: Resource = current ?? { kind: o.kind, metadata: { name: o.name, version: 'none' } as Resource['metadata'], spec: {} };
    const version = o.stale ? `${target.metadata.version}-stale` : target.metadata.version;
    const written =
      o.op === 'update'
        ? await store.update({
            ...target,
            metadata: {
              ...target.metadata,
              version,
              ...(o.labels === undefined ? {} : { labels: o.labels }),
              ...(o.finalizers === undefined ? {} : { finalizers: o.finalizers }),
            },
            spec: o.spec ?? target.spec,
          })
        : await store.updateStatus({ ...target, metadata: { ...target.metadata, version }, status: o.status });
    return { ok: true, value: essence(written), wrote: written.metadata.version !== current?.metadata.version };
  } catch (error) {
    return { ok: false, code: (error as { code?: unknown } | null)?.code ?? String(error) };
  }
}

/** Checks a watch stream against the store's rules: increasing revisions, `old` = the previous state, generation bumps. */
function checkStream(events: readonly WatchEvent[], start: ReadonlyMap<string, Resource>): Map<string, Resource> {
  const state = new Map(start);
  let last = -1;
  for (const event of events) {
    if (event.type === 'synced' || event.initial) continue;
    const key = keyOf(event.object);
    const revision = event.object.metadata.revision;
    check(revision > last, `watch events must come in increasing revision order: ${describeEvent(event)} after revision ${last}`);
    last = revision;
    const before = state.get(key);
    if (event.type === 'added') check(before === undefined, `added ${key} while it exists`);
    else {
      check(before !== undefined, `${event.type} ${key} for a resource the watch never saw`);
      if (event.type === 'modified') {
        checkEqual(essence(event.old), essence(before), `the old object of modified ${key}`);
        const bump = deepEqual(event.object.spec, before.spec) ? 0 : 1;
        checkEqual(event.object.metadata.generation, before.metadata.generation + bump, `generation after modified ${key} (spec ${bump ? 'changed' : 'unchanged'})`);
      }
    }
    if (event.type === 'deleted') state.delete(key);
    else state.set(key, event.object);
  }
  return state;
}

const essences = (resources: Iterable<Resource>): unknown[] => [...resources].filter((r) => r.metadata.name !== BARRIER).map(essence);

// ---- the properties -------------------------------------------------------------------------------

export const storeProperties: readonly StoreProperty[] = [
  {
    name: 'writes, lists and watches follow the reference store',
    property: (ctx) =>
      fc.asyncProperty(fc.tuple(fc.array(op, { maxLength: 14 }), fc.nat(14)), async (input) => {
        const [ops, watchFrom] = input as [Op[], number];
        const reference = createMemoryStore({ kinds });
        await withStore(ctx.make, setup, async ({ store }) => {
          let recording: ReturnType<typeof record> | undefined;
          let listed = new Map<string, Resource>();
          for (let i = 0; i <= ops.length; i++) {
            if (i === Math.min(watchFrom, ops.length)) {
              listed = new Map((await store.list('A')).map((r) => [keyOf(r), r]));
              const started = record(store, 'A', ctx.eventTimeout);
              recording = started;
              // A remote store (etcd) reads its list after the subscription, asynchronously: write
              // again only once the watch has listed, as a consumer needing a consistent start does.
              await started.until(() => started.events.some((e) => e.type === 'synced'), 'the synced event of the watch');
            }
            const o = ops[i];
            if (o === undefined) continue;
            const [expected, actual] = [await apply(reference, o), await apply(store, o)];
            checkEqual(actual, expected, `op ${i} ${JSON.stringify(o)}`);
          }
          for (const k of ['A', 'B']) checkEqual(essences(await store.list(k)), essences(await reference.list(k)), `list ${k} after the ops`);
          if (recording === undefined) return;
          await barrier(store, 'A', recording);
          recording.stop();
          const events = withoutBarrier(recording.events);
          const synced = events.findIndex((e) => e.type === 'synced');
          check(synced >= 0, `a watch without sinceRevision sends synced after the list (got ${events.map(describeEvent).join(', ')})`);
          const initial = events.slice(0, synced);
          check(initial.every((e) => e.type === 'added' && e.initial), 'the list before synced is added events with initial: true');
          checkEqual(essences(initial.map((e) => (e as ResourceEvent).object)), essences(listed.values()), 'the replayed list');
          check(events.slice(synced + 1).every((e) => e.type !== 'synced' && !e.initial), 'only one synced, and no initial event after it');
          const folded = checkStream(events.slice(synced + 1), listed);
          checkEqual(essences([...folded.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1))), essences(await store.list('A')), 'the list folded from the watch');
        });
      }),
  },
  {
    name: 'update and updateStatus are compare-and-set on metadata.version',
    property: (ctx) =>
      fc.asyncProperty(fc.tuple(spec, spec, status), async (input) => {
        const [first, second, st] = input as [unknown, unknown, unknown];
        await withStore(ctx.make, setup, async ({ store }) => {
          const v1 = await store.create('A', { metadata: { name: 'x' }, spec: first });
          const v2 = await store.update({ ...v1, metadata: { ...v1.metadata, labels: { touched: 'yes' } } });
          check(v2.metadata.version !== v1.metadata.version, 'a write that changes labels takes a new version');
          check(v2.metadata.revision > v1.metadata.revision, 'a write takes a higher revision');
          await checkRejects(() => store.update({ ...v1, spec: second }), 'CONFLICT', 'update with a stale version');
          await checkRejects(() => store.updateStatus({ ...v1, status: st }), 'CONFLICT', 'updateStatus with a stale version');
          checkEqual(essence(await store.get('A', 'x')), essence(v2), 'the resource after refused stale writes');
          await checkRejects(() => store.update({ ...v1, metadata: { ...v1.metadata, name: 'missing' } }), 'NOT_FOUND', 'update of a missing resource');
          await checkRejects(() => store.create('A', { metadata: { name: 'x' }, spec: second }), 'ALREADY_EXISTS', 'create of an existing name');
        });
      }),
  },
  {
    name: 'generation bumps on spec changes only',
    property: (ctx) =>
      fc.asyncProperty(fc.array(fc.oneof(spec.map((s) => ({ spec: s })), labels.map((l) => ({ labels: l })), status.map((s) => ({ status: s }))), { maxLength: 8 }), async (input) => {
        const edits = input as ({ spec: unknown } | { labels: Record<string, string> } | { status: unknown })[];
        await withStore(ctx.make, setup, async ({ store }) => {
          let current: Resource = await store.create('A', { metadata: { name: 'x' }, spec: { title: 'a', n: 0 } });
          checkEqual(current.metadata.generation, 1, 'generation of a new resource');
          for (const edit of edits) {
            const before = current;
            if ('status' in edit) current = await store.updateStatus({ ...current, status: edit.status });
            else if ('labels' in edit) current = await store.update({ ...current, metadata: { ...current.metadata, labels: edit.labels } });
            else current = await store.update({ ...current, spec: JSON.parse(JSON.stringify(edit.spec)) as unknown });
            const bump = 'spec' in edit && !deepEqual(edit.spec, before.spec) ? 1 : 0;
            checkEqual(current.metadata.generation, before.metadata.generation + bump, `generation after ${JSON.stringify(edit)}`);
          }
          checkEqual(essence(await store.get('A', 'x')), essence(current), 'the stored resource');
        });
      }),
  },
  {
    name: 'a write that changes nothing is not written (no new version, no event)',
    property: (ctx) =>
      fc.asyncProperty(fc.tuple(jsonObject, spec, labels), async (input) => {
        const [st, sp, lb] = input as [Record<string, unknown>, unknown, Record<string, string>];
        await withStore(ctx.make, setup, async ({ store }) => {
          const created = await store.create('A', { metadata: { name: 'x', labels: lb }, spec: sp });
          const withStatus = await store.updateStatus({ ...created, status: st });
          const recording = record(store, 'A', ctx.eventTimeout);
          await barrier(store, 'A', recording);
          const seen = recording.events.length;
          // Equal data in fresh objects, keys in another order.
          const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(st).reverse()))) as unknown;
          const again = await store.updateStatus({ ...withStatus, status: Object.keys(st).includes('__proto__') ? JSON.parse(JSON.stringify(st)) : reordered });
          checkEqual(again.metadata.version, withStatus.metadata.version, 'version after writing an equal status');
          const same = await store.update({ ...withStatus, metadata: { ...withStatus.metadata, labels: { ...lb } }, spec: JSON.parse(JSON.stringify(sp)) as unknown });
          checkEqual(same.metadata.version, withStatus.metadata.version, 'version after an update with equal spec and labels');
          await barrier(store, 'A', recording);
          recording.stop();
          const extra = withoutBarrier(recording.events.slice(seen));
          checkEqual(extra.map(describeEvent), [], 'watch events caused by writes that changed nothing');
        });
      }),
  },
  {
    name: 'delete waits for finalizers, and the last finalizer removed deletes',
    property: (ctx) =>
      fc.asyncProperty(fc.tuple(fc.subarray(['f/1', 'f/2', 'f/3'], { minLength: 1 }), fc.boolean()), async (input) => {
        const [fins, extraDelete] = input as [string[], boolean];
        await withStore(ctx.make, setup, async ({ store }) => {
          const created = await store.create('A', { metadata: { name: 'x', finalizers: fins }, spec: { title: 'a' } });
          const recording = record(store, 'A', ctx.eventTimeout);
          const marked = await store.delete('A', 'x');
          check(marked !== undefined && marked.metadata.deletionTimestamp !== undefined, 'delete with finalizers resolves to the marked resource');
          checkEqual(marked?.metadata.generation, created.metadata.generation, 'generation of the marked resource');
          if (extraDelete) {
            const again = await store.delete('A', 'x');
            checkEqual(again?.metadata.version, marked?.metadata.version, 'a second delete of a deleting resource writes nothing');
          }
          let current = (await store.get('A', 'x')) as Resource;
          check(current?.metadata.deletionTimestamp !== undefined, 'the resource stays, marked, while finalizers remain');
          await checkRejects(() => store.update({ ...current, metadata: { ...current.metadata, finalizers: [...fins, 'f/new'] } }), 'INVALID_ARGUMENT', 'adding a finalizer while deleting');
          for (let i = fins.length - 1; i >= 0; i--) {
            const result = await store.update({ ...current, metadata: { ...current.metadata, finalizers: fins.slice(0, i) } });
            if (i > 0) {
              check((await store.get('A', 'x')) !== undefined, `the resource stays while ${i} finalizer(s) remain`);
              current = result;
            }
          }
          checkEqual(await store.get('A', 'x'), undefined, 'the resource after its last finalizer was removed');
          await recording.until(() => recording.events.some((e) => e.type === 'deleted'), 'the deleted event');
          recording.stop();
          await checkRejects(() => store.delete('A', 'x'), 'NOT_FOUND', 'delete of a missing resource');
        });
      }),
  },
  {
    name: "a spec failing the kind's schema stores nothing; the schema's output is stored",
    property: (ctx) =>
      fc.asyncProperty(
        fc.tuple(fc.oneof(fc.record({ title: fc.string({ minLength: 1, maxLength: 5 }) }), fc.record({ title: fc.oneof(fc.constant(''), fc.integer()) }), jsonValue), fc.boolean()),
        async (input) => {
          const [candidate, onUpdate] = input as [unknown, boolean];
          const valid = TypedSpec.safeParse(candidate);
          await withStore(ctx.make, setup, async ({ store }) => {
            const base = onUpdate ? await store.create('Typed', { metadata: { name: 'x' }, spec: { title: 'ok' } }) : undefined;
            const recording = record(store, 'Typed', ctx.eventTimeout);
            await barrier(store, 'Typed', recording);
            const seen = recording.events.length;
            const write = (): Promise<Resource> => (base ? store.update({ ...base, spec: candidate }) : store.create('Typed', { metadata: { name: 'x' }, spec: candidate }));
            if (valid.success) {
              const written = await write();
              checkEqual(written.spec, valid.data, "the stored spec (the schema's output)");
              checkEqual((await store.get('Typed', 'x'))?.spec, valid.data, "the spec read back (the schema's output)");
            } else {
              const error = await checkRejects(write, 'VALIDATION', `a spec failing the schema (${JSON.stringify(candidate)})`);
              check(/spec/.test(error.message), `the ValidationError names the spec field: ${error.message}`);
              checkEqual(essence(await store.get('Typed', 'x')), essence(base), 'the stored resource after the refusal');
              await barrier(store, 'Typed', recording);
              checkEqual(withoutBarrier(recording.events.slice(seen)).map(describeEvent), [], 'watch events of a refused write');
            }
            recording.stop();
          });
        },
      ),
  },
  {
    name: 'watch resumes after a revision with exactly the later changes',
    property: (ctx) =>
      fc.asyncProperty(fc.tuple(fc.array(op, { minLength: 1, maxLength: 10 }), fc.nat()), async (input) => {
        const [ops, pick] = input as [Op[], number];
        await withStore(ctx.make, setup, async ({ store }) => {
          const full = record(store, 'A', ctx.eventTimeout);
          for (const o of ops) await apply(store, o);
          await barrier(store, 'A', full);
          const synced = full.events.find((e) => e.type === 'synced');
          check(synced !== undefined && synced.type === 'synced', 'a synced event');
          const changes = full.events.filter((e): e is ResourceEvent => e.type !== 'synced' && !e.initial);
          const points = [synced.revision, ...changes.map((e) => e.object.metadata.revision)];
          const since = points[pick % points.length] as number;
          const resumed = record(store, 'A', ctx.eventTimeout, { sinceRevision: since });
          await barrier(store, 'A', resumed);
          await barrier(store, 'A', full);
          full.stop();
          resumed.stop();
          check(resumed.events.every((e) => e.type !== 'synced' && !e.initial), 'a resumed watch replays changes, not a list');
          const expected = withoutBarrier(full.events.filter((e) => e.type !== 'synced' && !e.initial && e.object.metadata.revision > since));
          checkEqual(withoutBarrier(resumed.events).map(describeEvent), expected.map(describeEvent), `the changes after revision ${since}`);
          for (const [i, event] of withoutBarrier(resumed.events).entries()) {
            const twin = expected[i] as ResourceEvent;
            checkEqual(essence((event as ResourceEvent).object), essence(twin.object), `the object of resumed ${describeEvent(event)}`);
            if (twin.type === 'modified') checkEqual(essence((event as ResourceEvent).old), essence(twin.old), `the old object of resumed ${describeEvent(event)}`);
          }
        });
      }),
  },
  {
    name: 'a compacted revision fails the watch with CompactedError',
    needs: 'history',
    property: (ctx) =>
      fc.asyncProperty(fc.integer({ min: 4, max: 12 }), async (input) => {
        const writes = input as number;
        await withStore(ctx.make, { kinds, history: 2 }, async ({ store }) => {
          for (let i = 0; i < writes; i++) await store.create('A', { metadata: { name: `r${i}` }, spec: { title: 't' } });
          const old = record(store, 'A', ctx.eventTimeout, { sinceRevision: 0 });
          const deadline = Date.now() + ctx.eventTimeout;
          while (old.errors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
          old.stop();
          check(old.errors.length === 1, `resuming from revision 0 after ${writes} writes with history 2 must fail the watch (events: ${old.events.map(describeEvent).join(', ')})`);
          checkEqual((old.errors[0] as { code?: unknown }).code, 'COMPACTED', 'the code of the watch error');
          // A re-list gives a revision to resume from.
          const listing = record(store, 'A', ctx.eventTimeout);
          await listing.until(() => listing.events.some((e) => e.type === 'synced'), 'the synced event of a re-list');
          listing.stop();
          const synced = listing.events.find((e) => e.type === 'synced');
          const resumed = record(store, 'A', ctx.eventTimeout, { sinceRevision: synced?.type === 'synced' ? synced.revision : 0 });
          await barrier(store, 'A', resumed);
          resumed.stop();
        });
      }),
  },
  {
    name: 'bad input is refused with a typed error and stores nothing',
    property: (ctx) =>
      fc.asyncProperty(fc.constantFrom(...badInputs.map((b) => b.what)), async (input) => {
        const bad = badInputs.find((b) => b.what === input) as BadInput;
        const limit = ctx.capabilities.maxResourceBytes ? 4096 : undefined;
        await withStore(ctx.make, { kinds, ...(limit === undefined ? {} : { maxResourceBytes: limit }) }, async ({ store }) => {
          const existing = await store.create('A', { metadata: { name: 'kept', labels: { team: 'a' } }, spec: { title: 'k' } });
          const recording = record(store, 'A', ctx.eventTimeout);
          await barrier(store, 'A', recording);
          const seen = recording.events.length;
          const resource = bad.make(limit ?? 1_572_864);
          const { metadata } = resource as { metadata: object };
          await checkRejects(() => store.create('A', resource), bad.code, `create with ${bad.what}`);
          if (bad.onUpdate) {
            await checkRejects(
              () => store.update({ ...existing, metadata: { ...existing.metadata, ...metadata, name: 'kept' }, spec: (resource as { spec: unknown }).spec }),
              bad.code,
              `update with ${bad.what}`,
            );
          }
          checkEqual(await store.get('A', 'x'), undefined, `the refused resource (${bad.what})`);
          checkEqual(essence(await store.get('A', 'kept')), essence(existing), 'the resource an update was refused for');
          checkEqual(essences(await store.list('A', { labels: { team: 'a' } })), [essence(existing)], 'a labelled list after the refusal');
          await barrier(store, 'A', recording);
          recording.stop();
          checkEqual(withoutBarrier(recording.events.slice(seen)).map(describeEvent), [], 'watch events of refused writes');
        });
      }),
  },
  {
    name: '__proto__, constructor and other special keys are kept as data',
    property: (ctx) =>
      fc.asyncProperty(jsonObject, async (input) => {
        const doc = input as Record<string, unknown>;
        const text = JSON.stringify(doc);
        await withStore(ctx.make, setup, async ({ store }) => {
          const created = await store.create('A', { metadata: { name: 'x' }, spec: doc, status: doc });
          for (const [what, value] of [['created', created], ['read back', await store.get('A', 'x')]] as const) {
            checkEqual(JSON.stringify(value?.spec), text, `the ${what} spec as JSON`);
            checkEqual(JSON.stringify(value?.status), text, `the ${what} status as JSON`);
            check(Object.getPrototypeOf(value?.spec) === Object.prototype, `the ${what} spec has the plain object prototype`);
          }
          check(!('polluted' in {}), 'Object.prototype is untouched');
          const again = await store.update({ ...created, spec: JSON.parse(text) as unknown });
          checkEqual(again.metadata.version, created.metadata.version, 'version after writing the same document again');
        });
      }),
  },
  {
    name: 'racing updates of one version: exactly one wins',
    property: (ctx) =>
      fc.asyncProperty(fc.integer({ min: 2, max: 6 }), async (input) => {
        const writers = input as number;
        await withStore(ctx.make, setup, async ({ store }) => {
          const base = await store.create('A', { metadata: { name: 'x' }, spec: { n: -1 } });
          const results = await Promise.allSettled(Array.from({ length: writers }, (_, n) => store.update({ ...base, spec: { n } })));
          const won = results.flatMap((r, n) => (r.status === 'fulfilled' ? [n] : []));
          checkEqual(won.length, 1, `writers that won among ${writers} racing updates of version ${base.metadata.version}`);
          for (const r of results) if (r.status === 'rejected') checkEqual((r.reason as { code?: unknown }).code, 'CONFLICT', 'the error of a losing writer');
          checkEqual((await store.get('A', 'x'))?.spec, { n: won[0] }, 'the stored spec (the winner’s)');
        });
      }),
  },
  {
    name: 'a second handle on the same data sees writes and keeps compare-and-set',
    needs: 'secondHandle',
    property: (ctx) =>
      fc.asyncProperty(fc.tuple(spec, spec), async (input) => {
        const [s1, s2] = input as [unknown, unknown];
        await withStore(ctx.make, setup, async (made) => {
          const other = await (made.openSecond as NonNullable<typeof made.openSecond>)();
          try {
            const a = made.store;
            const b = other.store;
            const watching = record(a, 'A', ctx.eventTimeout);
            await watching.until(() => watching.events.some((e) => e.type === 'synced'), 'the synced event');
            const created = await b.create('A', { metadata: { name: 'x' }, spec: s1 });
            checkEqual(essence(await a.get('A', 'x')), essence(created), 'a read through the first handle after a write through the second');
            await watching.until(() => watching.events.some((e) => e.type === 'added' && e.object.metadata.name === 'x'), 'the second handle’s write on the first handle’s watch');
            const results = await Promise.allSettled([a.update({ ...created, spec: { first: s2 } }), b.update({ ...created, spec: { second: s2 } })]);
            const won = results.filter((r) => r.status === 'fulfilled').length;
            checkEqual(won, 1, 'writers that won two racing updates of one version through two handles');
            watching.stop();
          } finally {
            await other.cleanup?.();
          }
        });
      }),
  },
];

interface BadInput {
  readonly what: string;
  readonly code: string;
  /** Refused on update of an existing resource too. */
  readonly onUpdate: boolean;
  readonly make: (limit: number) => { metadata: { name: string } & Record<string, unknown>; spec: unknown; status?: unknown };
}

const cyclic = (): unknown => {
  const value: Record<string, unknown> = { a: { b: 1 } };
  (value['a'] as Record<string, unknown>)['back'] = value;
  return value;
};

const nested = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
};

const badInputs: readonly BadInput[] = [
  { what: 'a cyclic spec', code: 'INVALID_ARGUMENT', onUpdate: true, make: () => ({ metadata: { name: 'x' }, spec: cyclic() }) },
  { what: 'labels: null', code: 'VALIDATION', onUpdate: true, make: () => ({ metadata: { name: 'x', labels: null }, spec: {} }) },
  { what: 'a label that is a number', code: 'VALIDATION', onUpdate: true, make: () => ({ metadata: { name: 'x', labels: { team: 5 } }, spec: {} }) },
  { what: 'annotations as an array', code: 'VALIDATION', onUpdate: true, make: () => ({ metadata: { name: 'x', annotations: ['a'] }, spec: {} }) },
  { what: 'finalizers: "x"', code: 'VALIDATION', onUpdate: true, make: () => ({ metadata: { name: 'x', finalizers: 'x' }, spec: {} }) },
  { what: 'ownerReferences: [5]', code: 'VALIDATION', onUpdate: true, make: () => ({ metadata: { name: 'x', ownerReferences: [5] }, spec: {} }) },
  { what: 'an owner reference without a name', code: 'VALIDATION', onUpdate: true, make: () => ({ metadata: { name: 'x', ownerReferences: [{ kind: 'A' }] }, spec: {} }) },
  { what: 'a Date in the spec', code: 'INVALID_ARGUMENT', onUpdate: true, make: () => ({ metadata: { name: 'x' }, spec: { at: new Date(0) } }) },
  { what: 'NaN in the status', code: 'INVALID_ARGUMENT', onUpdate: false, make: () => ({ metadata: { name: 'x' }, spec: {}, status: { n: Number.NaN } }) },
  { what: 'a spec nested 10,000 levels deep', code: 'INVALID_ARGUMENT', onUpdate: true, make: () => ({ metadata: { name: 'x' }, spec: nested(10_000) }) },
  { what: 'a name with a slash', code: 'INVALID_ARGUMENT', onUpdate: false, make: () => ({ metadata: { name: 'x/y' }, spec: {} }) },
  { what: 'a spec over the size limit', code: 'TOO_LARGE', onUpdate: true, make: (limit) => ({ metadata: { name: 'x' }, spec: { text: 'x'.repeat(limit + 10) } }) },
];
