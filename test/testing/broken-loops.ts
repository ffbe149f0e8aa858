/**
 * Ten broken loops, each with its fixed twin, in shapes real loops take (and none of those in
 * loops.ts). Each export is a case: the two definitions and the generators of its start states.
 * broken-loops-a/b.test.ts show that the default checks catch every broken one on five seeds, and
 * pass every twin. Four of them (edge-triggered, status as the truth, closure state, lost update)
 * are caught only with steps: from their start states alone (`steps: false`) they pass every check.
 */
import fc from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { Backoff, NotFoundError, Outcome, deepEqual } from 'rx-reconcile';
import { idempotencyKeyOf } from '../../src/diff.js';
import type { Resource } from 'rx-reconcile';
import { loopDefinition, memoryWorld } from 'rx-reconcile/testing';
import type { LoopDefinition, World } from 'rx-reconcile/testing';
import type { DesiredResource } from '../../testing/definition.js';
import type { Items } from '../../testing/world.js';
import type { StartState } from '../../testing/check.js';

/** One broken loop and its fixed twin, with what the checks generate for them. */
export interface BrokenCase {
  readonly name: string;
  /** What is wrong, in a line. */
  readonly bug: string;
  readonly broken: LoopDefinition<never, never, never>;
  readonly fixed: LoopDefinition<never, never, never>;
  /** The start states: `desired` (and `current`), or `state`. */
  readonly inputs: {
    readonly desired?: Arbitrary<readonly DesiredResource<never, never>[]>;
    readonly current?: Arbitrary<Items<never>>;
    readonly state?: Arbitrary<StartState<never, never, never>>;
  };
}

const live = (r: Resource<unknown, unknown>) => r.metadata.deletionTimestamp === undefined;
const NAMES = ['a', 'b', 'c'] as const;
/** Deletes and takes "not found" as done. */
const deleteItem = <V>(world: World<V>, target: string) =>
  world.apply({ action: 'delete', target, idempotencyKey: idempotencyKeyOf('', 'delete', target, undefined) }).catch((error: unknown) => {
    if (!(error instanceof NotFoundError)) throw error;
  });
/** Creates or overwrites a world item (an idempotent put). */
const put = <V>(world: World<V>, target: string, value: V) =>
  world.apply({ action: 'update', target, value, idempotencyKey: idempotencyKeyOf('', 'update', target, value) });

/** Every name has a resource (live, or being deleted): `count` of them, each `spec` from `specArb`. */
function everyName<S>(specArb: Arbitrary<S>, names: readonly string[] = NAMES, finalizer?: string): Arbitrary<DesiredResource<S, never>[]> {
  return fc
    .tuple(...names.map((name) => fc.record({ spec: specArb, deleting: fc.boolean() }).map((r) => ({ name, ...r }))))
    .map((rs) =>
      rs.map(({ name, spec, deleting }) =>
        deleting && finalizer !== undefined ? { metadata: { name, finalizers: [finalizer] }, spec, deleted: true } : { metadata: { name }, spec },
      ),
    );
}

const asCase = (c: {
  name: string;
  bug: string;
  broken: unknown;
  fixed: unknown;
  inputs: { desired?: unknown; current?: unknown; state?: unknown };
}): BrokenCase => c as unknown as BrokenCase;

// 1. Edge-triggered: a resync pass is taken to mean "nothing changed", so it does nothing. ----------

interface RecordSpec {
  readonly ip: string;
}

function dnsLoop(skipResync: boolean) {
  return loopDefinition<RecordSpec, unknown, string>({
    loop: ({ world }) => ({
      name: 'dns',
      kind: 'Record',
      resync: 30_000,
      finalizer: { name: 'dns.example.com/record', cleanup: (record) => deleteItem(world, record.metadata.name) },
      async reconcile(request, ctx) {
        // BUG (skipResync): the periodic pass is the only one that sees a record changed in the zone by
        // hand, or a watch event that was lost; skipping it makes the loop edge-triggered.
        if (skipResync && request.reason === 'resync') return Outcome.converged();
        const record = await ctx.get();
        if (record === undefined) return Outcome.converged();
        if ((await world.get(record.metadata.name)) !== record.spec.ip) await put(world, record.metadata.name, record.spec.ip);
        return Outcome.converged();
      },
    }),
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    expected: (records) => Object.fromEntries(records.filter(live).map((r) => [r.metadata.name, r.spec.ip])),
  });
}

const ip = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3');
export const edgeTriggered = asCase({
  name: 'edge-triggered: skips resync passes',
  bug: 'a resync pass returns at once ("nothing changed"): a record changed in the zone by hand, or a lost watch event, is never repaired',
  broken: dnsLoop(true),
  fixed: dnsLoop(false),
  inputs: { desired: everyName(fc.record({ ip }), NAMES, 'dns.example.com/record'), current: fc.dictionary(fc.constantFrom(...NAMES), ip, { maxKeys: 3 }) },
});

// 2. Status as the truth: observedGeneration == generation is taken to mean "the world is right". ----

interface BucketSpec {
  readonly versioning: boolean;
}
interface BucketStatus {
  phase?: string;
  observedGeneration?: number;
}

function bucketLoop(trustStatus: boolean) {
  return loopDefinition<BucketSpec, BucketStatus, boolean>({
    loop: ({ world }) => ({
      name: 'buckets',
      kind: 'Bucket',
      resync: 30_000,
      conditions: false,
      finalizer: { name: 'buckets.example.com/bucket', cleanup: (bucket) => deleteItem(world, bucket.metadata.name) },
      async reconcile(_request, ctx) {
        const bucket = await ctx.get();
        if (bucket === undefined) return Outcome.converged();
        // BUG (trustStatus): the status says this generation was applied, so the world is not read:
        // a bucket deleted or changed outside the loop stays that way.
        if (trustStatus && bucket.status?.phase === 'Ready' && bucket.status.observedGeneration === bucket.metadata.generation) return Outcome.converged();
        if ((await world.get(bucket.metadata.name)) !== bucket.spec.versioning) await put(world, bucket.metadata.name, bucket.spec.versioning);
        await ctx.updateStatus(bucket, (status) => void (status.phase = 'Ready'));
        return Outcome.converged();
      },
    }),
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    expected: (buckets) => Object.fromEntries(buckets.filter(live).map((b) => [b.metadata.name, b.spec.versioning])),
    ready: (b) => (!live(b) ? 'being deleted' : b.status?.observedGeneration === b.metadata.generation ? true : 'status behind the spec'),
  });
}

export const statusAsTruth = asCase({
  name: 'status as the truth: skips the world when observedGeneration is current',
  bug: 'a pass trusts status.observedGeneration instead of reading the world: drift is never repaired',
  broken: bucketLoop(true),
  fixed: bucketLoop(false),
  inputs: { desired: everyName(fc.record({ versioning: fc.boolean() }), NAMES, 'buckets.example.com/bucket'), current: fc.dictionary(fc.constantFrom(...NAMES), fc.boolean(), { maxKeys: 3 }) },
});

// 3. Closure state between passes: "I made that already" remembered in the loop's closure. ----------

interface AccountSpec {
  readonly shell: string;
}

function accountLoop(rememberMade: boolean) {
  return loopDefinition<AccountSpec, unknown, string>({
    loop: ({ world }) => {
      // BUG (rememberMade): state that outlives a pass. It survives neither a user deleting the account
      // by hand nor the resource being deleted and created again.
      const made = new Set<string>();
      return {
        name: 'accounts',
        kind: 'Account',
        resync: 30_000,
        finalizer: { name: 'accounts.example.com/user', cleanup: (account) => deleteItem(world, account.metadata.name) },
        async reconcile(_request, ctx) {
          const account = await ctx.get();
          if (account === undefined) return Outcome.converged();
          const name = account.metadata.name;
          if (rememberMade && made.has(`${name}:${account.spec.shell}`)) return Outcome.converged();
          if ((await world.get(name)) !== account.spec.shell) await put(world, name, account.spec.shell);
          made.add(`${name}:${account.spec.shell}`);
          return Outcome.converged();
        },
      };
    },
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    expected: (accounts) => Object.fromEntries(accounts.filter(live).map((a) => [a.metadata.name, a.spec.shell])),
  });
}

const shell = fc.constantFrom('/bin/sh', '/bin/bash');
export const closureState = asCase({
  name: 'closure state: remembers what it made between passes',
  bug: 'a Set in the loop closure says an account was made: removed by hand, it is never made again',
  broken: accountLoop(true),
  fixed: accountLoop(false),
  inputs: { desired: everyName(fc.record({ shell }), NAMES, 'accounts.example.com/user'), current: fc.dictionary(fc.constantFrom(...NAMES), shell, { maxKeys: 3 }) },
});

// 4. A stale cache: desired specs kept from the loop's own watch, which never lists again. ------------

interface FlagSpec {
  readonly enabled: boolean;
}

function flagLoop(ownCache: boolean) {
  return loopDefinition<FlagSpec, unknown, boolean>({
    loop: ({ world, store }) => {
      // BUG (ownCache): a hand-made informer without relist, that takes only events that change the
      // spec (`old` and new generation differ, like a generation-changed predicate): one lost or
      // reordered event and the cache holds an old spec for good; every pass, resync included,
      // applies that old spec.
      const cache = new Map<string, Resource<FlagSpec, unknown>>();
      if (ownCache) {
        store.watch<FlagSpec, unknown>('Flag').subscribe((event) => {
          if (event.type === 'synced') return;
          const name = event.object.metadata.name;
          if (event.type === 'deleted') cache.delete(name);
          else if (event.type === 'added' || event.old?.metadata.generation !== event.object.metadata.generation) cache.set(name, event.object);
        });
      }
      return {
        name: 'flags',
        kind: 'Flag',
        resync: 30_000,
        finalizer: { name: 'flags.example.com/flag', cleanup: (flag) => deleteItem(world, flag.metadata.name) },
        async reconcile(request, ctx) {
          const flag = ownCache ? cache.get(request.key) : await ctx.get();
          if (flag === undefined || !live(flag)) return Outcome.converged();
          if ((await world.get(flag.metadata.name)) !== flag.spec.enabled) await put(world, flag.metadata.name, flag.spec.enabled);
          return Outcome.converged();
        },
      };
    },
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    expected: (flags) => Object.fromEntries(flags.filter(live).map((f) => [f.metadata.name, f.spec.enabled])),
  });
}

export const staleCache = asCase({
  name: 'stale cache: specs from its own watch, never listed again',
  bug: 'desired specs come from a watch the loop keeps itself: a lost or reordered event leaves an old spec in force',
  broken: flagLoop(true),
  fixed: flagLoop(false),
  inputs: { desired: everyName(fc.record({ enabled: fc.boolean() }), NAMES, 'flags.example.com/flag'), current: fc.dictionary(fc.constantFrom(...NAMES), fc.boolean(), { maxKeys: 3 }) },
});

// 5. Deleting what is not owned: the cleanup selects files by a prefix that is too wide. -------------

interface SiteSpec {
  readonly pages: Readonly<Record<string, string>>;
}
const SITES = ['web', 'web2'] as const;
const PAGES = ['index', 'about'] as const;
/** Files no site owns, put there by someone else: backups next to the sites' folders. */
const FOREIGN = ['web.bak', 'web2.bak'] as const;

function siteLoop(widePrefix: boolean) {
  return loopDefinition<SiteSpec, unknown, string, Items<string>, string>({
    loop: ({ world }) => {
      const own = (site: string) => (target: string) => target.startsWith(`${site}/`);
      const filesOf = async (site: string) => Object.fromEntries(Object.entries(await world.read()).filter(([target]) => own(site)(target)));
      return {
        name: 'sites',
        kind: 'Site',
        resync: 30_000,
        finalizer: {
          name: 'sites.example.com/files',
          async cleanup(site) {
            // BUG (widePrefix): `web` also selects `web2/…` (a sibling long converged) and `web.bak`
            // (someone else's): deleting one site deletes what it does not own.
            const mine = widePrefix ? (target: string) => target.startsWith(site.metadata.name) : own(site.metadata.name);
            // Every page the site may have, and what its folder lists (a listing may lag behind).
            const listed = Object.keys(await world.read()).filter(mine);
            for (const target of new Set([...PAGES.map((p) => `${site.metadata.name}/${p}`), ...listed])) await deleteItem(world, target);
          },
        },
        observe: (key) => filesOf(key),
        compare: (desired, current, key) => {
          const want = desired === undefined ? {} : Object.fromEntries(Object.entries(desired.spec.pages).map(([page, text]) => [`${key}/${page}`, text]));
          const plan: { action: 'update' | 'delete'; target: string; value?: string }[] = [];
          for (const [target, text] of Object.entries(want)) if (current[target] !== text) plan.push({ action: 'update', target, value: text });
          for (const target of Object.keys(current)) if (!Object.hasOwn(want, target)) plan.push({ action: 'delete', target });
          return plan;
        },
        correct: (c) => (c.action === 'delete' ? deleteItem(world, c.target) : put(world, c.target, c.value as string)),
      };
    },
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    // Each live site's pages; the files others put there stay as they left them.
    expected: (sites, initial) => {
      const out: Record<string, string> = Object.fromEntries(Object.entries(initial).filter(([target]) => !SITES.some((s) => target.startsWith(`${s}/`))));
      for (const site of sites.filter(live)) for (const [page, text] of Object.entries(site.spec.pages)) out[`${site.metadata.name}/${page}`] = text;
      return out;
    },
  });
}

const pages = fc.dictionary(fc.constantFrom(...PAGES), fc.constantFrom('hello', 'hi'), { minKeys: 1, maxKeys: 2 });
/**
 * Both sites exist (one maybe being deleted), and the world holds some foreign files: generated
 * together, so the world's items (and the ones steps add) are only ever someone else's.
 */
const siteState = fc
  .tuple(fc.tuple(...SITES.map((name) => fc.record({ pages, deleting: fc.boolean() }).map((r) => ({ name, ...r })))), fc.subarray([...FOREIGN]))
  .map(([sites, foreign]) => ({
    desired: sites.map(({ name, pages: p, deleting }) =>
      deleting ? { metadata: { name, finalizers: ['sites.example.com/files'] }, spec: { pages: p }, deleted: true } : { metadata: { name }, spec: { pages: p } },
    ),
    current: Object.fromEntries(foreign.map((t) => [t, 'backup'] as const)),
  }));

export const deletesWhatItDoesNotOwn = asCase({
  name: 'deletes what it does not own: a cleanup prefix that is too wide',
  bug: "deleting site `web` deletes `web2/…` (a sibling's pages) and `web.bak` (someone else's file)",
  broken: siteLoop(true),
  fixed: siteLoop(false),
  inputs: { state: siteState },
});

// 6. An order-dependent compare: JSON text compared, the API returns keys in its own order. -----------

interface TagsSpec {
  readonly tags: Readonly<Record<string, string>>;
}
type Tags = Readonly<Record<string, string>>;

/** A tag API: it stores tags with keys sorted, as many do. */
function tagWorld(initial: Items<Tags>): World<Tags> {
  const inner = memoryWorld<Tags>(initial, { onUpdateMissing: 'create' });
  const sorted = (tags: Tags | undefined): Tags | undefined =>
    tags === undefined ? undefined : Object.fromEntries(Object.keys(tags).sort().map((k) => [k, tags[k] as string]));
  return { ...inner, apply: (c) => inner.apply(c.value === undefined ? c : { ...c, value: sorted(c.value) as Tags }) };
}

function tagLoop(textCompare: boolean) {
  return loopDefinition<TagsSpec, unknown, Tags, Tags | undefined, Tags>({
    loop: ({ world }) => ({
      name: 'tags',
      kind: 'Tagged',
      resync: 30_000,
      observe: (key) => world.get(key),
      compare: (desired, current, key) => {
        if (desired === undefined) return current === undefined ? [] : [{ action: 'delete', target: key }];
        // BUG (textCompare): `{team, env}` and `{env, team}` are the same tags, not the same JSON text.
        const same = textCompare ? JSON.stringify(desired.spec.tags) === JSON.stringify(current) : deepEqual(desired.spec.tags, current);
        return same ? [] : [{ action: 'update', target: key, value: desired.spec.tags }];
      },
      correct: (c) => world.apply(c),
    }),
    world: (initial) => tagWorld(initial),
    expected: (resources) => Object.fromEntries(resources.map((r) => [r.metadata.name, Object.fromEntries(Object.keys(r.spec.tags).sort().map((k) => [k, r.spec.tags[k] as string]))])),
  });
}

/** Tags with their keys in any order (the order a user typed them in). */
const tags = fc
  .uniqueArray(fc.tuple(fc.constantFrom('team', 'env', 'tier'), fc.constantFrom('a', 'b')), { selector: ([k]) => k, maxLength: 3 })
  .map((entries) => Object.fromEntries(entries));
export const orderDependentCompare = asCase({
  name: 'order-dependent compare: JSON text of the tags',
  bug: 'desired and current tags are compared as JSON text; the API keeps keys sorted, so a user who typed them in another order gets an update on every pass',
  broken: tagLoop(true),
  fixed: tagLoop(false),
  inputs: {
    desired: fc.tuple(tags, tags).map(([x, y]) => [
      { metadata: { name: 'x' }, spec: { tags: x } },
      { metadata: { name: 'y' }, spec: { tags: y } },
    ]),
  },
});

// 7. Unbounded growth: members appended by an "add member" call that does not deduplicate. ----------

interface GroupSpec {
  readonly members: readonly string[];
}

/** A group API: `add` appends a member, whether it is there or not; `remove` takes every copy out. */
function groupWorld(initial: Items<readonly string[]>): World<readonly string[]> {
  return memoryWorld<readonly string[]>(initial, {
    onUpdateMissing: 'create',
    custom: (items, c) => {
      const members = items[c.target] ?? [];
      const member = c.value?.[0] ?? '';
      return { ...items, [c.target]: c.name === 'add' ? [...members, member] : members.filter((m) => m !== member) };
    },
  });
}

function groupLoop(appendMembers: boolean) {
  return loopDefinition<GroupSpec, unknown, readonly string[]>({
    loop: ({ world }) => ({
      name: 'groups',
      kind: 'Group',
      resync: 30_000,
      finalizer: { name: 'groups.example.com/group', cleanup: (group) => deleteItem(world, group.metadata.name) },
      async reconcile(_request, ctx) {
        const group = await ctx.get();
        if (group === undefined) return Outcome.converged();
        const name = group.metadata.name;
        const want = [...new Set(group.spec.members)].sort();
        if (!appendMembers) {
          if (!deepEqual(await world.get(name), want)) await put(world, name, want);
          return Outcome.converged();
        }
        // BUG (appendMembers): one "add member" call per missing member, decided on a read that may
        // be stale and retried after a lost acknowledgement: the same member goes in twice, and more.
        const have = (await world.get(name)) ?? [];
        if (!Object.hasOwn(await world.read(), name)) await put(world, name, []);
        for (const member of want) if (!have.includes(member)) await world.apply({ action: 'custom', name: 'add', target: name, value: [member], idempotencyKey: '' });
        for (const member of have) if (!want.includes(member)) await world.apply({ action: 'custom', name: 'remove', target: name, value: [member], idempotencyKey: '' });
        return Outcome.converged();
      },
    }),
    world: (initial) => groupWorld(initial),
    // The API keeps members in the order they were added; the group is right when it holds each once.
    expected: (groups) => Object.fromEntries(groups.filter(live).map((g) => [g.metadata.name, [...new Set(g.spec.members)].sort()])),
  });
}

const members = fc.uniqueArray(fc.constantFrom('ann', 'bob', 'cy'), { maxLength: 3 }).map((m) => [...m].sort());
export const unboundedGrowth = asCase({
  name: 'unbounded growth: an append per missing member',
  bug: 'members are added one "add" call at a time on a possibly stale read: retries and lagging reads add the same member again and again',
  broken: groupLoop(true),
  fixed: groupLoop(false),
  inputs: { desired: everyName(fc.record({ members }), ['ops', 'dev'], 'groups.example.com/group') },
});

// 8. A finalizer that is not idempotent: the cleanup gives quota back every time it runs. ---------

interface VolumeSpec {
  readonly size: number;
}
const QUOTA = 'quota-used';

/**
 * A storage API: volumes by name, and the quota entry, which the API counts itself on `recount`
 * (the sum of the volumes; no entry when there are none) or lowers by `value` on `give-back`.
 */
function storageWorld(initial: Items<number>): World<number> {
  const volumes = (items: Items<number>) => Object.entries(items).filter(([target]) => target !== QUOTA);
  return memoryWorld<number>(initial, {
    onUpdateMissing: 'create',
    onDeleteMissing: 'ignore',
    custom: (items, c) => {
      const { [QUOTA]: used = 0, ...rest } = items;
      if (volumes(items).length === 0) return rest;
      const quota = c.name === 'recount' ? volumes(items).reduce((sum, [, size]) => sum + size, 0) : used - (c.value ?? 0);
      return { ...rest, [QUOTA]: quota };
    },
  });
}

function volumeLoop(giveBack: boolean) {
  return loopDefinition<VolumeSpec, unknown, number>({
    loop: ({ world }) => {
      const recount = () => world.apply({ action: 'custom', name: 'recount', target: QUOTA, idempotencyKey: '' });
      return {
        name: 'volumes',
        kind: 'Volume',
        resync: 30_000,
        finalizer: {
          name: 'volumes.example.com/volume',
          async cleanup(volume) {
            await deleteItem(world, volume.metadata.name);
            // BUG (giveBack): gives the volume's size back on every run of the cleanup — and it runs
            // again whenever removing the finalizer fails or the loop restarts before it is removed.
            if (giveBack) await world.apply({ action: 'custom', name: 'give-back', target: QUOTA, value: volume.spec.size, idempotencyKey: '' });
            else await recount();
          },
        },
        async reconcile(_request, ctx) {
          const volume = await ctx.get();
          if (volume === undefined) return Outcome.converged();
          if ((await world.get(volume.metadata.name)) !== volume.spec.size) await put(world, volume.metadata.name, volume.spec.size);
          const items = await world.read();
          const used = Object.entries(items).reduce((sum, [target, size]) => (target === QUOTA ? sum : sum + size), 0);
          if (items[QUOTA] !== used) await recount();
          return Outcome.converged();
        },
      };
    },
    world: (initial) => storageWorld(initial),
    expected: (volumes) => {
      const alive = volumes.filter(live);
      const out: Record<string, number> = Object.fromEntries(alive.map((v) => [v.metadata.name, v.spec.size]));
      if (alive.length > 0) out[QUOTA] = alive.reduce((sum, v) => sum + v.spec.size, 0);
      return out;
    },
  });
}

export const nonIdempotentFinalizer = asCase({
  name: 'a finalizer that is not idempotent: quota given back per run',
  bug: 'the cleanup subtracts the volume from the quota each time it runs; a failed finalizer removal or a restart runs it twice',
  broken: volumeLoop(true),
  fixed: volumeLoop(false),
  inputs: { desired: everyName(fc.record({ size: fc.integer({ min: 1, max: 3 }) }), NAMES, 'volumes.example.com/volume') },
});

// 9. A lost update: its bookkeeping write carries the spec it read, over a newer one. ----------------

interface ServiceSpec {
  readonly port: number;
}

function serviceLoop(staleSpecWrite: boolean) {
  return loopDefinition<ServiceSpec, unknown, number>({
    loop: ({ world, store }) => ({
      name: 'services',
      kind: 'Service',
      resync: 30_000,
      conditions: false,
      async reconcile(_request, ctx) {
        const service = await ctx.get();
        if (service === undefined) return Outcome.converged();
        const name = service.metadata.name;
        if ((await world.get(name)) !== service.spec.port) await put(world, name, service.spec.port);
        const applied = String(service.spec.port);
        if (service.metadata.annotations['last-applied'] === applied) return Outcome.converged();
        // Record what was applied, as an annotation. On a conflict: take the fresh version and retry.
        const fresh = await store.get<ServiceSpec, unknown>('Service', name);
        if (fresh === undefined) return Outcome.converged();
        const annotations = { ...fresh.metadata.annotations, 'last-applied': applied };
        // BUG (staleSpecWrite): the write keeps the spec of the pass (`...service`) with the fresh
        // version: a spec changed by the user since is written back to the old one.
        const base = staleSpecWrite ? { ...service, metadata: { ...service.metadata, version: fresh.metadata.version } } : fresh;
        if (!staleSpecWrite && String(fresh.spec.port) !== applied) return Outcome.requeueAfter(0); // applied an older spec: go again
        await store.update({ ...base, metadata: { ...base.metadata, annotations } });
        return Outcome.converged();
      },
    }),
    world: (initial) => memoryWorld(initial, { onUpdateMissing: 'create' }),
    expected: (services) => Object.fromEntries(services.map((s) => [s.metadata.name, s.spec.port])),
    ready: (s) => (s.metadata.annotations['last-applied'] === String(s.spec.port) ? true : 'last-applied annotation behind the spec'),
  });
}

const port = fc.constantFrom(80, 443, 8080);
export const lostUpdate = asCase({
  name: "lost update: a bookkeeping write with the pass's old spec",
  bug: 'the loop writes its annotation on the spec it read at the start of the pass, refreshing only the version: a desired change made meanwhile is reverted',
  broken: serviceLoop(true),
  fixed: serviceLoop(false),
  inputs: { desired: fc.tuple(port, port).map(([x, y]) => [{ metadata: { name: 'api' }, spec: { port: x } }, { metadata: { name: 'web' }, spec: { port: y } }]) },
});

// 10. Two steps that a crash can split: write a temporary file, then rename it. ---------------------

interface ConfigSpec {
  readonly text: string;
}

/** A file system: `create` fails on an existing name (O_EXCL), `rename` moves one file over another. */
function fileSystem(initial: Items<string>): World<string> {
  return memoryWorld<string>(initial, {
    onUpdateMissing: 'create',
    onDeleteMissing: 'fail',
    custom: (items, c) => {
      const from = `${c.target}.tmp`;
      if (!Object.hasOwn(items, from)) throw new NotFoundError('File', from);
      const { [from]: text, ...rest } = items;
      return { ...rest, [c.target]: text as string };
    },
  });
}

function configLoop(exclusiveTemp: boolean) {
  return loopDefinition<ConfigSpec, unknown, string>({
    loop: ({ world }) => ({
      name: 'configs',
      kind: 'ConfigFile',
      resync: 30_000,
      // A stuck key is parked for good after 3 failures (the default would retry 5 times).
      backoff: Backoff.exponential({ initial: 1000, factor: 2, steps: 3, cap: 10_000 }),
      finalizer: {
        name: 'configs.example.com/file',
        async cleanup(file) {
          await deleteItem(world, file.metadata.name);
          await deleteItem(world, `${file.metadata.name}.tmp`);
        },
      },
      async reconcile(_request, ctx) {
        const file = await ctx.get();
        if (file === undefined) return Outcome.converged();
        const name = file.metadata.name;
        const tmp = `${name}.tmp`;
        if ((await world.get(name)) === file.spec.text) {
          if ((await world.get(tmp)) !== undefined) await deleteItem(world, tmp); // a leftover of a crash
          return Outcome.converged();
        }
        // BUG (exclusiveTemp): the temporary file is created exclusively, as if nobody could have left
        // one: after a crash between the write and the rename (or a lost acknowledgement of the
        // write), every later pass fails on the leftover `.tmp` for good.
        if (exclusiveTemp) await world.apply({ action: 'create', target: tmp, value: file.spec.text, idempotencyKey: '' });
        else await put(world, tmp, file.spec.text);
        await world.apply({ action: 'custom', name: 'rename', target: name, idempotencyKey: '' });
        return Outcome.converged();
      },
    }),
    world: (initial) => fileSystem(initial),
    expected: (files) => Object.fromEntries(files.filter(live).map((f) => [f.metadata.name, f.spec.text])),
  });
}

export const crashBetweenSteps = asCase({
  name: 'a crash between two steps: temporary file, then rename',
  bug: 'the temporary file is created exclusively: a crash (restart) or lost acknowledgement between write and rename leaves a `.tmp` that fails every later pass',
  broken: configLoop(true),
  fixed: configLoop(false),
  inputs: { desired: everyName(fc.record({ text: fc.constantFrom('a=1', 'a=2') }), ['app.conf', 'db.conf'], 'configs.example.com/file') },
});

/** Every case, in the order of the file. */
export const BROKEN_CASES: readonly BrokenCase[] = [
  edgeTriggered,
  statusAsTruth,
  closureState,
  staleCache,
  deletesWhatItDoesNotOwn,
  orderDependentCompare,
  unboundedGrowth,
  nonIdempotentFinalizer,
  lostUpdate,
  crashBetweenSteps,
];
