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
import { WELL_FORMED_MESSAGE, isWellFormed } from '../src/well-formed.js';

/** Options of `etcdCoordinator`. */
export interface EtcdCoordinatorOptions {
  /** An `etcd3` client. Revoke-on-stop is explicit: `stop()` the coordinator before closing it. */
  readonly client: Etcd3;
  /** Key prefix of the coordination records (members, shards), e.g. `/my-app/coordination/todo`. */
  readonly prefix: string;
  /** This replica's name, unique among the replicas (e.g. the pod or host name); no `/`, whole characters only. */
  readonly replica: string;
  /**
   * Lease TTL in ms: how long after its last renewal a replica that died or stalled keeps its keys.
   * At least 2000 (etcd's minimum TTL), rounded up to whole seconds.
   */
  readonly ttl: number;
  /** A replica steps down when no renewal succeeded for this long (ms, ≥ 300, < ttl). Default ⅔ of ttl. */
  readonly renewDeadline?: number;
  /** Number of shards keys are hashed into. Default 32; `1` is single-leader mode. */
  readonly shards?: number;
  /** How long a shard being handed over waits for its running passes, in ms. Default `renewDeadline`. */
  readonly releaseDeadline?: number;
  /** Deadline of each etcd request, in ms: at most a third of `renewDeadline`, which is the default. */
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

/** The shortest `renewDeadline`: three renewal tries of 100 ms each fit in it. */
export const MIN_RENEW_DEADLINE = 300;

/** The renew deadline `options` give: `renewDeadline`, or ⅔ of `ttl`. */
export function renewDeadlineOf(options: { readonly ttl: number; readonly renewDeadline?: number | undefined }): number {
  return options.renewDeadline ?? Math.floor((options.ttl * 2) / 3);
}

/** Time between renewal tries, and the longest any etcd call may take: a third of the renew deadline. */
export function renewEveryOf(renewDeadline: number): number {
  return Math.floor(renewDeadline / 3);
}

const optionsSchema = z
  .strictObject({
    client: withMethods<Etcd3>('an etcd3 client: new Etcd3({ hosts: "127.0.0.1:2379" })', 'if', 'get', 'getAll', 'watch'),
    prefix: z
      .string({ error: 'must be a key prefix such as "/my-app/coordination"' })
      .refine((p) => p.replace(/\/+$/, '') !== '', 'must be a key prefix such as "/my-app/coordination"')
      .refine(isWellFormed, WELL_FORMED_MESSAGE),
    replica: z
      .string({ error: 'must name this replica (e.g. the host name)' })
      .min(1, 'must name this replica (e.g. the host name)')
      .refine((r) => !r.includes('/'), 'must name this replica without "/"')
      .refine(isWellFormed, WELL_FORMED_MESSAGE),
    ttl: int(MIN_TTL, MAX_MS),
    renewDeadline: int(MIN_RENEW_DEADLINE, MAX_MS).optional(),
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
  })
  .superRefine((o, context) => {
    // Checked only once the fields themselves are right (zod runs this after them).
    const renewDeadline = renewDeadlineOf(o);
    const most = renewEveryOf(renewDeadline);
    if (o.callTimeout !== undefined && o.callTimeout > most) {
      context.addIssue({
        code: 'custom',
        path: ['callTimeout'],
        message:
          `must be at most a third of renewDeadline (${renewDeadline} ms${o.renewDeadline === undefined ? ', ⅔ of ttl' : ''}), so ${most} ms or less: ` +
          'a renewal is tried every third of it and each try must end before the next (a call outliving the lease once left a replica joined with a dead lease). ' +
          'Lower callTimeout, or raise renewDeadline (and ttl)',
      });
    }
  });

const OPTION_KEYS = ['client', 'prefix', 'replica', 'ttl', 'renewDeadline', 'shards', 'releaseDeadline', 'callTimeout', 'logger', 'scheduler', 'now'];

/** Refuses options `etcdCoordinator` cannot run with, naming each bad or unknown key. */
export function checkCoordinatorOptions(options: EtcdCoordinatorOptions): void {
  checkOptions('etcdCoordinator', optionsSchema, options, OPTION_KEYS);
}
