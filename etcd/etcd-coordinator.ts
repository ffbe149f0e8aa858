/**
 * The `Coordinator` on etcd: {@link etcdCoordinator}.
 *
 * @module
 */
import { Subject, asyncScheduler } from 'rxjs';
import type { Observable, Subscription } from 'rxjs';
import { CompareResult, CompareTarget, Range } from 'etcd3';
import type { ICompare, ITxnRequest } from 'etcd3';
import type { Coordinator, Fence, OwnershipHold, OwnershipChange } from '../src/coordinator.js';
import { noopLogger, safeLogger } from '../src/ports.js';
import type { Key } from '../src/types.js';
import { checkCoordinatorOptions, renewDeadlineOf, renewEveryOf } from './coordinator-options.js';
import type { EtcdCoordinatorOptions } from './coordinator-options.js';
import { deadline, etcdCall } from './etcd-call.js';
import { LeaseKeeper } from './lease-keeper.js';
import { mirrorPrefix } from './prefix-mirror.js';
import type { PrefixMirror } from './prefix-mirror.js';
import { assignShards, shardOf } from './rendezvous.js';

/** The shard count a member key states (`{"shards":8}`), for logs. */
function shardsOfMember(value: string): string {
  try {
    const shards = (JSON.parse(value) as { shards?: unknown }).shards;
    return typeof shards === 'number' ? String(shards) : 'unknown';
  } catch {
    return 'unknown (an older version of this library?)';
  }
}

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
 * Each replica holds a lease and a member key on it (`<prefix>/members/<replica>`, holding its shard
 * count). Keys hash to `shards` shards; each shard belongs to the member that rendezvous hashing with
 * bounded load picks from the members with the same shard count (`assignShards`: shares differ by one
 * shard at most), and that member campaigns for it by creating `<prefix>/shards/<shards>/<n>` on its
 * lease, only when that key is absent and no shard key of another count exists (one transaction).
 * The create revision of that key is the fencing token.
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
 * 1. Grant a lease, put the member key, list and watch members and shards. A lease that went stale
 *    during the join (no renewal within `renewDeadline`: etcd or this process stalled) is revoked
 *    and the join starts again with a new one (`Lease went stale while joining`, `warn`).
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
 * - Replicas that disagree on `shards` (a rolling change of it, a typo) never hold shard keys at the
 *   same time: those with the other count take no shard until the last shard key of the first count
 *   is gone (its replicas left or expired), and say so (`Replicas disagree on shards`, `warn`). So a
 *   key never has two current fences, and a rolling change hands over when its last old replica stops.
 * - `stop()` resolves once the lease is revoked, for every caller, also when it came during a join.
 *
 * ## Caveats
 * - A replica that dies keeps its keys for up to `ttl`; failover takes about `ttl` plus one watch
 *   round trip. `stop()` hands over at once.
 * - etcd3's default client opens a 5 s circuit breaker after three failed requests to a host, longer
 *   than a short `renewDeadline`: a brief etcd outage then makes the replica step down. Give the
 *   client a `faultHandling.host` policy without it if that matters.
 * - Changing `shards` moves most keys, and while replicas disagree on it the count that holds shard
 *   keys keeps all the work (shared among its own replicas) while the others stand by.
 * - Shard keys are `<prefix>/shards/<shards>/<n>` (a replica of an earlier version of this library,
 *   with keys `<prefix>/shards/<n>`, blocks this one's campaigns but is not blocked by them: do not
 *   mix versions on one prefix).
 */
export function etcdCoordinator(options: EtcdCoordinatorOptions): EtcdCoordinator {
  checkCoordinatorOptions(options);
  const { client, replica } = options;
  const prefix = options.prefix.replace(/\/+$/, '');
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = safeLogger(options.logger ?? noopLogger).child({ replica });
  const now = options.now ?? (() => performance.now());
  const ttlSeconds = Math.ceil(options.ttl / 1000);
  const renewDeadline = renewDeadlineOf(options);
  const renewEvery = renewEveryOf(renewDeadline);
  const shards = options.shards ?? 32;
  const releaseDeadline = options.releaseDeadline ?? renewDeadline;
  const timeoutMs = options.callTimeout ?? renewEvery;
  const membersPrefix = `${prefix}/members/`;
  const shardsPrefix = `${prefix}/shards/`;
  /** The shard keys of replicas with this shard count; those of another count exclude them (see campaign). */
  const ownShardsPrefix = `${shardsPrefix}${shards}/`;
  const memberKey = membersPrefix + replica;
  /** What a member key holds: the member's shard count. */
  const memberValue = JSON.stringify({ shards });
  const shardKey = (shard: number): string => `${ownShardsPrefix}${shard}`;

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
  /** The join under way, if any (`stop()` waits for it: it revokes the lease it got). */
  let joining: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  /** Waits in progress (join retries), woken at once by `stop()`. */
  const pauses = new Set<() => void>();
  /** A campaign that failed at this revision is not tried again before the mirror has seen it. */
  const failedAt = new Map<number, number>();
  /** The last disagreement on `shards` logged, to log each one once. */
  let lastDisagreement = '';
  const readyWaiters: (() => void)[] = [];

  const context = { client, scheduler, timeoutMs, logger };
  const mirror: PrefixMirror = mirrorPrefix(context, `${prefix}/`, () => reconcile());

  const held = (): boolean => joined && keeper !== undefined && keeper.held();

  /** Live members with this replica's shard count (the others are left out of the assignment), sorted. */
  function members(): string[] {
    const names = new Set<string>();
    for (const [key, entry] of mirror.entries) if (key.startsWith(membersPrefix) && entry.value === memberValue) names.add(key.slice(membersPrefix.length));
    if (held()) names.add(replica);
    return [...names].sort();
  }

  /**
   * Members with another shard count (or none stated) and how many shard keys of another count are
   * held; logs a change of either at `warn` (and the end of it at `info`).
   */
  function disagreement(): number {
    const others: Record<string, string> = {};
    for (const [key, entry] of mirror.entries) {
      if (key.startsWith(membersPrefix) && entry.value !== memberValue) others[key.slice(membersPrefix.length)] = shardsOfMember(entry.value);
    }
    let foreignLocks = 0;
    for (const key of mirror.entries.keys()) if (key.startsWith(shardsPrefix) && !key.startsWith(ownShardsPrefix)) foreignLocks++;
    const summary = Object.keys(others).length === 0 && foreignLocks === 0 ? '' : JSON.stringify([others, foreignLocks]);
    if (summary !== lastDisagreement) {
      lastDisagreement = summary;
      if (summary === '') logger.info({ shards }, 'Replicas agree on shards again');
      else {
        logger.warn(
          { shards, others, foreignShardKeys: foreignLocks },
          'Replicas disagree on shards: this replica takes no shard while a shard key of another count is held, and counts only replicas with its own in the assignment; give every replica the same shards (a rolling change completes when the last replica with the old count has left)',
        );
      }
    }
    return foreignLocks;
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
    const current = keeper;
    if (current === undefined || !held()) {
      emit([], lost);
      return;
    }
    const owners = ownersFor(members());
    // Reading the membership reads the clock: the lease may have gone stale (and stepped down) meanwhile.
    if (keeper !== current || !held()) {
      emit([], lost);
      return;
    }
    const blocked = disagreement() > 0;
    const gained: number[] = [];
    const lease = current.id;
    for (let shard = 0; shard < shards; shard++) {
      const mine = owners[shard] === replica;
      const own = owned.get(shard);
      if (own === undefined && !campaigning.has(shard) && !releasing.has(shard)) {
        const entry = mirror.entries.get(shardKey(shard));
        if (entry === undefined) {
          if (mine && !blocked && (failedAt.get(shard) ?? 0) <= mirror.revision) void campaign(shard);
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

  /**
   * Creates the shard's key on this replica's lease, in one transaction that also requires that no
   * shard key of another shard count exists: replicas that disagree on `shards` never hold keys at
   * the same time, so at most one fence of any key is current.
   */
  async function campaign(shard: number): Promise<void> {
    const lease = keeper;
    if (lease === undefined) return;
    campaigning.add(shard);
    const key = shardKey(shard);
    const absent = (start: Buffer, end: Buffer): ICompare => ({ key: start, range_end: end, target: CompareTarget.Create, result: CompareResult.Equal, create_revision: 0 });
    const request: ITxnRequest = {
      compare: [
        absent(Buffer.from(key), Buffer.alloc(0)),
        absent(Buffer.from(shardsPrefix), Buffer.from(ownShardsPrefix)),
        absent(Range.prefix(ownShardsPrefix).end, Range.prefix(shardsPrefix).end),
      ],
      success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(replica), lease: lease.id } }],
    };
    try {
      const response = await etcdCall(`campaign for ${key}`, timeoutMs, () => client.kv.txn(request, deadline(scheduler, timeoutMs)));
      if (!response.succeeded) {
        // Another holds it, or holds a shard key of another count: the mirror shows its release or expiry.
        failedAt.set(shard, Number(response.header.revision));
        return;
      }
      failedAt.delete(shard);
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
    if (!stopping) joinTimer = scheduler.schedule(() => startJoin(), Math.min(renewDeadline, 500));
  }

  /** Starts joining, unless a join is under way or the coordinator stops. */
  function startJoin(): void {
    if (joining !== undefined || stopping) return;
    joining = join()
      .catch((error: unknown) => logger.error({ error: (error as Error).message }, 'Join failed'))
      .finally(() => {
        joining = undefined;
      });
  }

  /** Resolves after `ms`, or at once when the coordinator stops. */
  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        pauses.delete(wake);
        timer.unsubscribe();
        resolve();
      };
      const timer = scheduler.schedule(() => wake(), ms);
      pauses.add(wake);
    });
  }

  /** Grants a lease and puts the member key, retrying until it works or the coordinator stops. */
  async function join(): Promise<void> {
    for (let attempt = 0; !stopping; attempt++) {
      let granted: LeaseKeeper | undefined;
      try {
        // A loss reported before `keeper` is this lease is not acted on here: lease.held() below sees it.
        const lease = await LeaseKeeper.grant({ client, scheduler, logger, ttlSeconds, renewDeadline, renewEvery, timeoutMs, now }, (reason) => {
          if (keeper === lease) stepDown(reason);
        });
        granted = lease;
        if (stopping) {
          await lease.revoke();
          return;
        }
        const put = await etcdCall(`join as ${memberKey}`, timeoutMs, () =>
          client
            .if(memberKey, 'Create', '==', 0)
            .then(client.put(memberKey).value(memberValue).lease(lease.id))
            .options(deadline(scheduler, timeoutMs))
            .commit(),
        );
        if (stopping) {
          await lease.revoke(); // stop() came during the put: leave no member behind
          return;
        }
        if (!put.succeeded) {
          logger.warn({ key: memberKey }, 'Replica name in use (another process, or this one before a restart): waiting for it to go');
          await lease.revoke();
          await pause(Math.min(options.ttl, 1000));
          continue;
        }
        if (!lease.held()) {
          // No renewal succeeded within the renew deadline while joining (etcd or this process
          // stalled): the lease is stale, and its loss was not acted on (it was not ours yet). Never
          // keep it: revoke it (its member key goes with it) and join with a new one.
          logger.warn({ lease: lease.id, renewDeadline, attempt }, 'Lease went stale while joining; joining again with a new lease');
          await lease.revoke();
          await pause(Math.min(renewDeadline, 500));
          continue;
        }
        keeper = lease;
        joined = true;
        logger.info({ lease: lease.id, ttl: ttlSeconds, shards }, 'Joined');
        reconcile();
        return;
      } catch (error) {
        // A put that timed out here may still have been applied by etcd: revoke the lease, so its
        // member key cannot outlive this attempt (renewed by an orphaned keeper, it would keep the
        // name "in use" for good).
        if (granted !== undefined && granted !== keeper) await granted.revoke();
        logger.warn({ error: (error as Error).message, attempt }, 'Join failed; trying again');
        await pause(Math.min(2000, 100 * 2 ** attempt));
      }
    }
  }

  /** Gives up every shard, revokes the lease (the join under way revokes its own), stops watching. */
  async function leave(): Promise<void> {
    stopping = true;
    joinTimer?.unsubscribe();
    for (const wake of [...pauses]) wake();
    const lost = [...owned.values()];
    for (const own of lost) drop(own);
    emit([], lost.map((o) => o.shard));
    const lease = keeper;
    keeper = undefined;
    joined = false;
    mirror.close();
    await Promise.all([lease?.revoke(), joining]);
    logger.info({}, 'Left');
    changes.complete();
  }

  /** The owned, not draining, shard of `key` while the lease is held. */
  function ownedShard(key: Key): Owned | undefined {
    const own = owned.get(shardOf(key, shards));
    if (own === undefined || own.draining || !held()) return undefined;
    return own;
  }

  startJoin();

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
    stop() {
      // Every call resolves once the lease is revoked (two shutdown hooks calling it both wait).
      stopped ??= leave();
      return stopped;
    },
  };
}
