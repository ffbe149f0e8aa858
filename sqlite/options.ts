/**
 * Options of `createSqliteStore`, checked when the store is made: a bad or unknown option is refused
 * with an `InvalidArgumentError` naming it and saying what to pass instead.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { InvalidArgumentError } from '../src/errors.js';
import type { Logger } from '../src/ports.js';
import { defaultMaxResourceBytes } from '../src/store.js';
import type { KindOptions } from '../src/store.js';

/** Options of `createSqliteStore`. */
export interface SqliteStoreOptions {
  /**
   * The database file (created when missing, with its folder's permissions), or `':memory:'` for a
   * private in-memory database (tests: nothing survives, no other connection can see it).
   */
  readonly path: string;
  /**
   * `'FULL'` (default): every acknowledged write is on disk before its Promise resolves; it survives
   * `kill -9` and power loss. `'NORMAL'`: in WAL mode a commit is not synced until the next
   * checkpoint, so an acknowledged write still survives the process being killed, but the last
   * writes before a power loss or OS crash may be lost (the file stays consistent). Faster on slow disks.
   */
  readonly synchronous?: 'FULL' | 'NORMAL';
  /**
   * How many recent changes (all kinds together) are kept in the `changes` table for
   * `watch(kind, { sinceRevision })`. Older ones are removed as new writes come; resuming from before
   * them fails with `CompactedError` (list again). Default 1000; 0 keeps none.
   */
  readonly history?: number;
  /**
   * How often, in ms, a store that is being watched checks whether another connection (another
   * process, the `sqlite3` tool, a second store on the same file) committed changes. One cheap
   * `PRAGMA data_version` per tick; no timer runs while nothing is watched. Default 50.
   */
  readonly pollInterval?: number;
  /** Clock for timestamps and the poll timer. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Largest resource accepted, in characters of its JSON. Default 1.5 MiB (like the memory store). */
  readonly maxResourceBytes?: number;
  /** Kinds to register up front (same as calling `registerKind` for each). */
  readonly kinds?: Readonly<Record<string, KindOptions<unknown>>>;
  /**
   * How long, in ms, a write waits for another connection's write to finish before failing with
   * SQLite's `SQLITE_BUSY` (blocking the thread meanwhile, as better-sqlite3 does); a write that
   * still finds the file locked then fails with a `TransientError` (retried by a loop, with backoff).
   * Opening an up-to-date file only reads, so it does not wait for a busy writer. Default 5000.
   */
  readonly busyTimeout?: number;
  /** Where records written around the store that cannot be read are reported. Default: silent. */
  readonly logger?: Logger;
}

/** The options with their defaults filled in. */
export interface ResolvedOptions {
  readonly path: string;
  readonly synchronous: 'FULL' | 'NORMAL';
  readonly history: number;
  readonly pollInterval: number;
  readonly scheduler: SchedulerLike | undefined;
  readonly maxResourceBytes: number;
  readonly kinds: Readonly<Record<string, KindOptions<unknown>>>;
  readonly busyTimeout: number;
  readonly logger: Logger | undefined;
}

const int32 = 2 ** 31 - 1;
const count = (min: number, max: number) => z.number().int().min(min).max(max);
const isScheduler = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && typeof (value as SchedulerLike).now === 'function' && typeof (value as SchedulerLike).schedule === 'function';
const isLogger = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && ['debug', 'info', 'warn', 'error'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function');

const optionsSchema = z.strictObject({
  path: z.string().min(1),
  synchronous: z.enum(['FULL', 'NORMAL']).optional(),
  history: count(0, int32).optional(),
  pollInterval: count(1, int32).optional(),
  scheduler: z.custom<SchedulerLike>(isScheduler, 'must be an RxJS SchedulerLike (now() and schedule())').optional(),
  maxResourceBytes: count(64, int32).optional(),
  kinds: z.record(z.string().min(1), z.unknown()).optional(), // each kind's options are checked by registerKind
  busyTimeout: count(0, int32).optional(),
  logger: z.custom<Logger>(isLogger, 'must be a pino-compatible logger (debug, info, warn, error)').optional(),
});

const hints: Readonly<Record<string, string>> = {
  path: 'pass the database file, e.g. { path: "./state.db" }',
  synchronous: "use 'FULL' (default, survives power loss) or 'NORMAL'",
  history: 'an integer ≥ 0 (default 1000)',
  pollInterval: 'milliseconds, an integer ≥ 1 (default 50)',
  maxResourceBytes: 'an integer ≥ 64 (default 1.5 MiB)',
  busyTimeout: 'milliseconds, an integer ≥ 0 (default 5000)',
};

/** Checks the options; throws `InvalidArgumentError` naming the first bad one and its fix. */
export function resolveOptions(options: unknown): ResolvedOptions {
  const result = optionsSchema.safeParse(options);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return `unknown option(s) ${issue.keys.join(', ')}: the options are ${Object.keys(optionsSchema.shape).join(', ')}`;
      }
      const name = issue.path.map(String).join('.') || 'options';
      const hint = hints[String(issue.path[0])];
      return `${name}: ${issue.message}${hint === undefined ? '' : ` (${hint})`}`;
    });
    throw new InvalidArgumentError(`createSqliteStore: ${problems.join('; ')}.`);
  }
  const o = result.data;
  return {
    path: o.path,
    synchronous: o.synchronous ?? 'FULL',
    history: o.history ?? 1000,
    pollInterval: o.pollInterval ?? 50,
    scheduler: o.scheduler,
    maxResourceBytes: o.maxResourceBytes ?? defaultMaxResourceBytes,
    kinds: (o.kinds ?? {}) as Readonly<Record<string, KindOptions<unknown>>>,
    busyTimeout: o.busyTimeout ?? 5000,
    logger: o.logger,
  };
}
