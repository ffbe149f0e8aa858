/**
 * The options of `etcdCoordinator`, and their check (zod, naming the bad key).
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import type { Etcd3 } from 'etcd3';
import { z } from 'zod';
import { checkOptions, fn, int, schedulerLike, withMethods } from '../src/check-options.js';
import type { Logger } from '../src/ports.js';

/** Options of `etcdCoordinator`. */
export interface EtcdCoordinatorOptions {
  /** An `etcd3` client. Revoke-on-stop is explicit: `stop()` the coordinator before closing it. */
  readonly client: Etcd3;
  /** Key prefix of the coordination records (members, shards), e.g. `/my-app/coordination/todo`. */
  readonly prefix: string;
  /** This replica's name, unique among the replicas (e.g. the pod or host name). */
  readonly replica: string;
  /**
   * Lease TTL in ms: how long after its last renewal a replica that died or stalled keeps its keys.
   * At least 2000 (etcd's minimum TTL), rounded up to whole seconds.
   */
  readonly ttl: number;
  /** A replica steps down when no renewal succeeded for this long (ms, < ttl). Default ⅔ of ttl. */
  readonly renewDeadline?: number;
  /** Number of shards keys are hashed into. Default 32; `1` is single-leader mode. */
  readonly shards?: number;
  /** How long a shard being handed over waits for its running passes, in ms. Default `renewDeadline`. */
  readonly releaseDeadline?: number;
  /** Deadline of each etcd request, in ms. Default a third of `renewDeadline`. */
  readonly callTimeout?: number;
  /** Where membership and ownership changes are logged (pino-compatible). Default: silent. */
  readonly logger?: Logger;
  /** Timers (renewals, deadlines, retries). Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Monotonic clock in ms for the renew deadline. Default `performance.now`. */
  readonly now?: () => number;
}

const MIN_TTL = 2000;
const MAX_MS = 2 ** 31 - 1;

const optionsSchema = z
  .strictObject({
    client: withMethods<Etcd3>('an etcd3 client: new Etcd3({ hosts: "127.0.0.1:2379" })', 'if', 'get', 'getAll', 'watch'),
    prefix: z.string({ error: 'must be a key prefix such as "/my-app/coordination"' }).refine((p) => p.replace(/\/+$/, '') !== '', 'must be a key prefix such as "/my-app/coordination"'),
    replica: z
      .string({ error: 'must name this replica (e.g. the host name)' })
      .min(1, 'must name this replica (e.g. the host name)')
      .refine((r) => !r.includes('/'), 'must name this replica without "/"'),
    ttl: int(MIN_TTL, MAX_MS),
    renewDeadline: int(1, MAX_MS).optional(),
    shards: int(1, 4096).optional(),
    releaseDeadline: int(0, MAX_MS).optional(),
    callTimeout: int(1, MAX_MS).optional(),
    logger: withMethods<Logger>('a pino-compatible logger', 'debug', 'info', 'warn', 'error', 'child').optional(),
    scheduler: schedulerLike<SchedulerLike>().optional(),
    now: fn('a monotonic clock returning ms').optional(),
  })
  .refine((o) => o.renewDeadline === undefined || o.renewDeadline < o.ttl, {
    message: 'must be shorter than ttl, so a replica steps down before etcd gives its keys to another',
    path: ['renewDeadline'],
  });

const OPTION_KEYS = ['client', 'prefix', 'replica', 'ttl', 'renewDeadline', 'shards', 'releaseDeadline', 'callTimeout', 'logger', 'scheduler', 'now'];

/** Refuses options `etcdCoordinator` cannot run with, naming each bad or unknown key. */
export function checkCoordinatorOptions(options: EtcdCoordinatorOptions): void {
  checkOptions('etcdCoordinator', optionsSchema, options, OPTION_KEYS);
}
