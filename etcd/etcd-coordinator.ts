/**
 * The `Coordinator` on etcd: {@link etcdCoordinator}.
 *
 * @module
 */
import { Subject, asyncScheduler } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import type { Coordinator, Fence, OwnershipHold, OwnershipChange } from '../src/coordinator.js';
import { noopLogger } from '../src/ports.js';
import type { Key } from '../src/types.js';
import { checkCoordinatorOptions } from './coordinator-options.js';
import type { EtcdCoordinatorOptions } from './coordinator-options.js';
import { deadline, etcdCall } from './etcd-call.js';
import { LeaseKeeper } from './lease-keeper.js';
import { mirrorPrefix } from './prefix-mirror.js';
import type { PrefixMirror } from './prefix-mirror.js';
import { assignShards, shardOf } from './rendezvous.js';

/** What this replica sees right now, for logs, examples and admin pages. */
export interface CoordinatorState {
  readonly replica: string;
  /** Live replicas, sorted. */
  readonly members: readonly string[];
  /** Shards this replica owns (and is not handing over), ascending. */
  readonly owned: readonly number[];
  readonly shards: number;
  readonly ready: boolean;
  /** The lease this replica holds, if any. */
  readonly lease: string | undefined;
}

/** The etcd {@link Coordinator}, with its lifecycle and a view of its state. */
export interface EtcdCoordinator extends Coordinator {
  /** The shard a key belongs to. */
  shardOf(key: Key): number;
  state(): CoordinatorState;
  /** Resolves when this replica owns everything the membership assigns it (see `ready()`). */
  whenReady(): Promise<void>;
  /**
   * Leaves at once: every shard is given up (fences abort), the lease is revoked so its member and
   * shard keys go now and the others take over in milliseconds. Stop the loops using it first, so
   * their passes finish under their fences.
   */
  stop(): Promise<void>;
}

/** One shard this replica owns. */
interface Owned {
  readonly shard: number;
  readonly fence: Fence;
  readonly controller: AbortController;
  /** Passes running under the fence. */
  holds: number;
  /** Being handed over: no new passes; released when `holds` reaches 0 or at the release deadline. */
  draining: boolean;
  deadline: Subscription | undefined;
}

/**
 * Shards the keys of a loop across live replicas on etcd, one fenced owner per key: the `Coordinator`
 * to give `defineLoop({ coordinator })`.
 *
 * Each replica holds a lease and a member key on it (`<prefix>/members/<replica>`). Keys hash to
 * `shards` shards; each shard belongs to the member that rendezvous hashing with bounded load picks
 * from the member list (`assignShards`: shares differ by one shard at most), and that member campaigns for it by creating `<prefix>/shards/<n>` on its lease, only when
 * the key is absent. The create revision of that key is the fencing token.
 *
 * ## Example
 * ```ts
 * import { Etcd3 } from 'etcd3';
 * import { hostname } from 'node:os';
 * import { Outcome, defineLoop } from 'rx-reconcile';
 * import { createEtcdStore, etcdCoordinator } from 'rx-reconcile/etcd';
 *
 * const client = new Etcd3({ hosts: '127.0.0.1:2379' });
 * const store = createEtcdStore({ client, prefix: '/todo-app/data' });
 * const coordinator = etcdCoordinator({ client, prefix: '/todo-app/coordination', replica: hostname(), ttl: 5000 });
 * const loop = defineLoop({ name: 'todo', store, kind: 'Todo', coordinator, reconcile: () => Outcome.converged() });
 * process.on('SIGTERM', async () => { await loop.stop(); await coordinator.stop(); client.close(); });
 * ```
 *
 * ## Expected flow
 * 1. Grant a lease, put the member key, list and watch members and shards.
 * 2. For each shard the membership assigns to this replica: create its key if absent (the previous
 *    owner released it or its lease expired) → `changes$` says `gained`, the loop re-lists.
 * 3. A membership change that assigns an owned shard elsewhere: the shard stops taking passes
 *    (`lost`), waits for its running passes (up to `releaseDeadline`), then deletes its key; the new
 *    owner, watching, creates it at once.
 * 4. Renewals every third of `renewDeadline`; none succeeded for `renewDeadline` → step down (every
 *    fence aborts), revoke the old lease if etcd is reachable, join again with a new lease.
 *
 * ## Guarantees
 * - A shard key exists at most once, so at most one replica's token is current for a key; every
 *   fenced store write compares it inside etcd's transaction (G19).
 * - A replica believes it owns a shard only until `renewDeadline` after *sending* its last successful
 *   renewal, which is before etcd can expire the lease (`ttl` after *receiving* it): a stalled or
 *   partitioned replica stops acting before another takes over.
 * - `owns()`, `fence()` and `hold()` read the clock, so a paused process sees its ownership gone
 *   the moment it runs again.
 * - Tokens grow: a later owner of a shard has a larger token than every owner before it.
 *
 * ## Caveats
 * - A replica that dies keeps its keys for up to `ttl`; failover takes about `ttl` plus one watch
 *   round trip. `stop()` hands over at once.
 * - etcd3's default client opens a 5 s circuit breaker after three failed requests to a host, longer
 *   than a short `renewDeadline`: a brief etcd outage then makes the replica step down. Give the
 *   client a `faultHandling.host` policy without it if that matters.
 * - Replicas must agree on `shards`; changing it moves most keys (and is safe: tokens still fence).
 */
export function etcdCoordinator(options: EtcdCoordinatorOptions): EtcdCoordinator {
  checkCoordinatorOptions(options);
  const { client, replica } = options;
  const prefix = options.prefix.replace(/\/+$/, '');
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = (options.logger ?? noopLogger).child({ replica });
  const now = options.now ?? (() => performance.now());
  const ttlSeconds = Math.ceil(options.ttl / 1000);
  const renewDeadline = options.renewDeadline ?? Math.floor((options.ttl * 2) / 3);
  const shards = options.shards ?? 32;
  const releaseDeadline = options.releaseDeadline ?? renewDeadline;
  const timeoutMs = options.callTimeout ?? Math.max(100, Math.floor(renewDeadline / 3));
  const membersPrefix = `${prefix}/members/`;
  const shardsPrefix = `${prefix}/shards/`;
  const memberKey = membersPrefix + replica;
  const shardKey = (shard: number): string => `${shardsPrefix}${shard}`;

  const changes = new Subject<OwnershipChange>();
  const owned = new Map<number, Owned>();
  const campaigning = new Set<number>();
  const releasing = new Set<number>();
  let keeper: LeaseKeeper | undefined;
  let joined = false;
  let stopping = false;
  let wasReady = false;
  let lastMembers = '';
  let joinTimer: Subscription | undefined;
  const readyWaiters: (() => void)[] = [];

  const context = { client, scheduler, timeoutMs, logger };
  const mirror: PrefixMirror = mirrorPrefix(context, `${prefix}/`, () => reconcile());

  const held = (): boolean => joined && keeper !== undefined && keeper.held();

  function members(): string[] {
    const names = new Set<string>();
    for (const key of mirror.entries.keys()) if (key.startsWith(membersPrefix)) names.add(key.slice(membersPrefix.length));
    if (held()) names.add(replica);
    return [...names].sort();
  }

  /** The owner of each shard for a member list (recomputed only when the list changes). */
  let assignment: { readonly members: string; readonly owners: readonly string[] } = { members: '', owners: [] };
  function ownersFor(live: readonly string[]): readonly string[] {
    const key = live.join('\u0000');
    if (assignment.members !== key) assignment = { members: key, owners: assignShards(shards, live) };
    return assignment.owners;
  }

  function isReady(): boolean {
    if (!held()) return false;
    const owners = ownersFor(members());
    for (let shard = 0; shard < shards; shard++) {
      const mine = owners[shard] === replica;
      const own = owned.get(shard);
      if (mine !== (own !== undefined && !own.draining)) return false;
    }
    return true;
  }

  function emit(gained: readonly number[], lost: readonly number[]): void {
    const ready = isReady();
    const memberList = members().join('\u0000');
    if (gained.length === 0 && lost.length === 0 && ready === wasReady && memberList === lastMembers) return;
    wasReady = ready;
    lastMembers = memberList;
    if (gained.length > 0 || lost.length > 0) {
      logger.info({ gained, lost, owned: [...owned.keys()].filter((s) => !owned.get(s)?.draining).sort((a, b) => a - b) }, 'Ownership changed');
    }
    if (ready) for (const resolve of readyWaiters.splice(0)) resolve();
    changes.next(Object.freeze({ gained: gained.map(shardKey), lost: lost.map(shardKey), ready }));
  }

  /** Compares what this replica owns with what the membership assigns it, and acts on the difference. */
  function reconcile(): void {
    if (stopping) return;
    const lost: number[] = [];
    // A shard whose key is gone or was created again by someone else is lost, whatever we believed;
    // a mirror that has not yet seen our own creation of the key says nothing about it.
    for (const own of owned.values()) {
      const entry = mirror.entries.get(shardKey(own.shard));
      if (mirror.revision >= own.fence.token && entry?.createRevision !== own.fence.token) {
        drop(own);
        lost.push(own.shard);
      }
    }
    if (!held()) {
      emit([], lost);
      return;
    }
    const owners = ownersFor(members());
    const gained: number[] = [];
    const lease = (keeper as LeaseKeeper).id;
    for (let shard = 0; shard < shards; shard++) {
      const mine = owners[shard] === replica;
      const own = owned.get(shard);
      if (own === undefined && !campaigning.has(shard) && !releasing.has(shard)) {
        const entry = mirror.entries.get(shardKey(shard));
        if (entry === undefined) {
          if (mine) void campaign(shard);
        } else if (entry.lease === lease) {
          // Our key that we do not know of (a campaign whose answer was lost): take it, or hand it over.
          const adopted = claim(shard, entry.createRevision);
          if (mine) gained.push(shard);
          else drain(adopted);
        }
      } else if (!mine && own !== undefined && !own.draining) {
        drain(own);
        lost.push(shard);
      }
    }
    emit(gained, lost);
  }

  async function campaign(shard: number): Promise<void> {
    const lease = keeper;
    if (lease === undefined) return;
    campaigning.add(shard);
    const key = shardKey(shard);
    try {
      const response = await etcdCall(`campaign for ${key}`, timeoutMs, () =>
        client
          .if(key, 'Create', '==', 0)
          .then(client.put(key).value(replica).lease(lease.id))
          .options(deadline(scheduler, timeoutMs))
          .commit(),
      );
      if (!response.succeeded) return; // another holds it: its release or expiry shows up in the mirror
      const token = Number(response.header.revision);
      if (keeper !== lease || !held() || stopping) return; // the lease is gone: the key goes with it
      claim(shard, token);
      emit([shard], []);
    } catch (error) {
      logger.warn({ shard, error: (error as Error).message }, 'Campaign failed');
    } finally {
      campaigning.delete(shard);
      reconcile();
    }
  }

  /** Records a shard as owned under `token` (the create revision of its key). */
  function claim(shard: number, token: number): Owned {
    const controller = new AbortController();
    const own: Owned = { shard, fence: Object.freeze({ lock: shardKey(shard), token, signal: controller.signal }), controller, holds: 0, draining: false, deadline: undefined };
    owned.set(shard, own);
    return own;
  }

  /** Stops new passes of a shard; releases it once its passes are done or at the release deadline. */
  function drain(own: Owned): void {
    own.draining = true;
    if (own.holds === 0) void release(own);
    else own.deadline = scheduler.schedule(() => void release(own), releaseDeadline);
  }

  /** Forgets a shard at once: its fence aborts. */
  function drop(own: Owned): void {
    if (owned.get(own.shard) !== own) return;
    owned.delete(own.shard);
    own.deadline?.unsubscribe();
    own.controller.abort(new Error(`replica ${replica} no longer owns shard ${own.shard}`));
  }

  /** Deletes the shard key (only if it is still ours), retrying while the lease is held. */
  async function release(own: Owned): Promise<void> {
    if (owned.get(own.shard) !== own) return;
    drop(own);
    releasing.add(own.shard);
    try {
      for (let attempt = 0; held() && !stopping; attempt++) {
        try {
          const response = await etcdCall(`release ${own.fence.lock}`, timeoutMs, () =>
            client.if(own.fence.lock, 'Create', '==', own.fence.token).then(client.delete().key(own.fence.lock)).options(deadline(scheduler, timeoutMs)).commit(),
          );
          // Not succeeded: the key is no longer this ownership's (its lease expired): nothing to hand over.
          logger.info({ shard: own.shard, token: own.fence.token, deleted: response.succeeded }, 'Shard handed over');
          return;
        } catch (error) {
          logger.warn({ shard: own.shard, error: (error as Error).message, attempt }, 'Shard release failed; trying again');
          await new Promise<void>((resolve) => scheduler.schedule(() => resolve(), Math.min(1000, 50 * 2 ** attempt)));
        }
      }
    } finally {
      releasing.delete(own.shard);
      reconcile();
    }
  }

  /** The lease is no longer held: give up every shard, then join again with a new lease. */
  function stepDown(reason: string): void {
    const old = keeper;
    keeper = undefined;
    joined = false;
    const lost = [...owned.values()];
    for (const own of lost) drop(own);
    logger.warn({ reason, lost: lost.map((o) => o.shard) }, 'Stepped down');
    emit([], lost.map((o) => o.shard));
    void old?.revoke();
    if (!stopping) joinTimer = scheduler.schedule(() => void join(), Math.min(renewDeadline, 500));
  }

  /** Grants a lease and puts the member key, retrying until it works or the coordinator stops. */
  async function join(): Promise<void> {
    for (let attempt = 0; !stopping; attempt++) {
      try {
        const lease = await LeaseKeeper.grant(
          { client, scheduler, logger, ttlSeconds, renewDeadline, renewEvery: Math.max(50, Math.floor(renewDeadline / 3)), timeoutMs, now },
          (reason) => {
            if (keeper === lease) stepDown(reason);
          },
        );
        if (stopping) {
          await lease.revoke();
          return;
        }
        const put = await etcdCall(`join as ${memberKey}`, timeoutMs, () =>
          client
            .if(memberKey, 'Create', '==', 0)
            .then(client.put(memberKey).value(replica).lease(lease.id))
            .options(deadline(scheduler, timeoutMs))
            .commit(),
        );
        if (!put.succeeded) {
          logger.warn({ key: memberKey }, 'Replica name in use (another process, or this one before a restart): waiting for it to go');
          await lease.revoke();
          await new Promise<void>((resolve) => (joinTimer = scheduler.schedule(() => resolve(), Math.min(options.ttl, 1000))));
          continue;
        }
        keeper = lease;
        joined = true;
        if (!lease.held()) return; // went stale while joining: held() stepped down (and joins again)
        logger.info({ lease: lease.id, ttl: ttlSeconds }, 'Joined');
        reconcile();
        return;
      } catch (error) {
        logger.warn({ error: (error as Error).message, attempt }, 'Join failed; trying again');
        await new Promise<void>((resolve) => (joinTimer = scheduler.schedule(() => resolve(), Math.min(2000, 100 * 2 ** attempt))));
      }
    }
  }

  /** The owned, not draining, shard of `key` while the lease is held. */
  function ownedShard(key: Key): Owned | undefined {
    const own = owned.get(shardOf(key, shards));
    if (own === undefined || own.draining || !held()) return undefined;
    return own;
  }

  void join();

  return {
    replica,
    changes$: changes.asObservable() as Observable<OwnershipChange>,
    shardOf: (key) => shardOf(key, shards),
    owns: (key) => ownedShard(key) !== undefined,
    fence: (key) => ownedShard(key)?.fence,
    hold(key): OwnershipHold | undefined {
      const own = ownedShard(key);
      if (own === undefined) return undefined;
      own.holds++;
      let released = false;
      return {
        fence: own.fence,
        release() {
          if (released) return;
          released = true;
          own.holds--;
          if (own.draining && own.holds === 0) void release(own);
        },
      };
    },
    ready: isReady,
    whenReady: () => (isReady() ? Promise.resolve() : new Promise<void>((resolve) => readyWaiters.push(resolve))),
    state: () => ({
      replica,
      members: members(),
      owned: [...owned.values()].filter((o) => !o.draining).map((o) => o.shard).sort((a, b) => a - b),
      shards,
      ready: isReady(),
      lease: keeper?.id,
    }),
    async stop() {
      if (stopping) return;
      stopping = true;
      joinTimer?.unsubscribe();
      const lost = [...owned.values()];
      for (const own of lost) drop(own);
      emit([], lost.map((o) => o.shard));
      const lease = keeper;
      keeper = undefined;
      joined = false;
      mirror.close();
      await lease?.revoke();
      logger.info({}, 'Left');
      changes.complete();
    },
  };
}
