/**
 * The options of `adminHandler` and `serveAdmin`, and their check (zod, unknown keys refused).
 *
 * @module
 */
import type { Metric } from 'prom-client';
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { checkOptions, int, period, schedulerLike, withMethods } from '../src/check-options.js';
import { InvalidArgumentError } from '../src/errors.js';
import type { MetricNaming } from '../src/described-metrics.js';
import type { Logger } from '../src/ports.js';
import type { Loop } from '../operators/define-loop.js';

/** What the admin needs of a loop: a `Loop` from `defineLoop` fits as it is. */
export type AdminLoop = Pick<Loop, 'name' | 'options' | 'results$' | 'snapshot' | 'health' | 'trigger' | 'release' | 'pause' | 'resume'> &
  Partial<Pick<Loop, 'usage' | 'source'>>;

/** A prom-client `Registry`, in either exposition format (Prometheus text or OpenMetrics): what the admin uses of it. */
export interface AdminRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
  registerMetric(metric: Metric): void;
  getSingleMetric(name: string): Metric | undefined;
}

/** Options of `adminHandler`. */
export interface AdminOptions {
  /** The loops to show and operate. Names must be unique. */
  readonly loops: readonly AdminLoop[];
  /**
   * The bearer token that allows actions (trigger, release, pause, resume); at least 16 characters.
   * Without `token` and `tokens` the admin is read-only (and says so on the page and in the API).
   * Logged as `who: "admin"`.
   */
  readonly token?: string;
  /** Named tokens (`{ alice: '…', deploy: '…' }`): the name is logged as `who` of each action. */
  readonly tokens?: Readonly<Record<string, string>>;
  /**
   * The prom-client registry `GET /metrics` serves (the one given to `prometheusMetrics`). The admin
   * also registers its own metrics there: loop health gauges and the admin action counter. Without
   * it `/metrics` answers 404.
   */
  readonly registry?: AdminRegistry;
  /** Names of the admin's own metrics, matching `prometheusMetrics({ metricNames })`. Default `'rx-reconcile'`. */
  readonly metricNames?: MetricNaming;
  /** Prefix of the admin's own metrics with `'rx-reconcile'` naming (as `prometheusMetrics({ prefix })`). Default none. */
  readonly metricsPrefix?: string;
  /** Where admin actions are logged (pino-compatible). Default: nowhere. */
  readonly logger?: Logger;
  /** Time for caches, the event stream and timeouts. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Path prefix the handler is mounted under when the framework does not strip it (e.g. `'/admin'`). Default none. */
  readonly basePath?: string;
  /**
   * Host names (`Host` header, port excluded) accepted; others get 421. Guards against DNS
   * rebinding. Default: any for `adminHandler`, loopback names for `serveAdmin` on a loopback address.
   */
  readonly allowedHosts?: readonly string[];
  /** Largest request body accepted, in bytes. Default 16 384. */
  readonly maxBodyBytes?: number;
  /** Longest a loop snapshot is reused across requests, in ms (a snapshot costs O(keys)). Default 250. */
  readonly snapshotMaxAge?: number;
  /** Period of the event stream's change checks, in ms. Default 1000. */
  readonly eventsInterval?: number;
  /** Most event streams open at once; more get 503. Default 16. */
  readonly maxEventStreams?: number;
  /** Passes kept per loop for the page (a ring buffer). Default 100. */
  readonly recentPasses?: number;
  /** Passes kept per key, for keys that failed or were acted on. Default 10. */
  readonly passesPerKey?: number;
  /** Keys whose own passes are kept (least recently updated dropped first). Default 1000. */
  readonly trackedKeys?: number;
  /** How long `GET …/keys/:key` waits for the store, in ms. Default 2000. */
  readonly storeTimeout?: number;
}

/** Options of `serveAdmin`: those of `adminHandler`, and where to listen. */
export interface ServeAdminOptions extends AdminOptions {
  /** Address to bind. Default `'127.0.0.1'` (loopback only). */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number;
}

const TOKEN_HINT = "at least 16 characters, e.g. crypto.randomBytes(24).toString('base64url')";
/**
 * A token is sent as `Authorization: Bearer <token>`: visible ASCII without spaces only, so a token
 * read from a file with its newline, or a pass phrase with spaces, is refused here rather than
 * refusing every action later.
 */
const token = z
  .string({ error: `must be a string of ${TOKEN_HINT}` })
  .min(16, `must be ${TOKEN_HINT}`)
  .regex(/^[\x21-\x7e]+$/, 'must hold visible ASCII characters only (no spaces, tabs, newlines or accents: it is sent in an HTTP header); trim a token read from a file');

const loopShape = withMethods<AdminLoop>('a loop from defineLoop', 'snapshot', 'health', 'trigger', 'release', 'pause', 'resume');

const adminShape = {
  loops: z.array(loopShape, { error: 'must be an array of loops from defineLoop' }).min(1, 'must hold at least one loop'),
  token: token.optional(),
  tokens: z
    .record(z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'names must be 1–64 letters, digits or . _ @ -'), token)
    .refine((tokens) => Object.keys(tokens).length > 0, 'must name at least one token (leave tokens out for a read-only admin)')
    .optional(),
  registry: withMethods<AdminRegistry>('a prom-client Registry', 'metrics', 'registerMetric', 'getSingleMetric').optional(),
  metricNames: z.enum(['rx-reconcile', 'controller-runtime'], { error: "must be 'rx-reconcile' or 'controller-runtime'" }).optional(),
  metricsPrefix: z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus name prefix such as "shop_"').optional(),
  logger: withMethods<Logger>('a pino-compatible logger', 'info', 'warn', 'error', 'debug', 'child').optional(),
  scheduler: schedulerLike<SchedulerLike>().optional(),
  basePath: z
    .string()
    .regex(/^(\/[A-Za-z0-9._~-]+)+$|^\/$/, "must be a path such as '/admin' or '/ops/admin': segments of letters, digits and . _ ~ -, no empty segment, no trailing slash")
    .refine((path) => !path.split('/').some((segment) => segment === '.' || segment === '..'), "must not hold '.' or '..' segments")
    .optional(),
  allowedHosts: z.array(z.string().min(1)).min(1, 'must name at least one host (leave it out to answer any Host)').optional(),
  maxBodyBytes: int(0, 16 * 1024 * 1024).optional(),
  snapshotMaxAge: int(0, 60_000).optional(),
  eventsInterval: period().max(3_600_000).optional(),
  maxEventStreams: int(1, 10_000).optional(),
  recentPasses: int(1, 100_000).optional(),
  passesPerKey: int(1, 1000).optional(),
  trackedKeys: int(0, 1_000_000).optional(),
  storeTimeout: period().max(600_000).optional(),
};

const adminSchema = z.strictObject(adminShape);
const serveSchema = z.strictObject({ ...adminShape, host: z.string().min(1).optional(), port: int(0, 65535).optional() });

/** Checks `adminHandler` options: throws `InvalidArgumentError` naming each bad or unknown key. */
export function checkAdminOptions(options: AdminOptions): AdminOptions {
  checkOptions('adminHandler', adminSchema, options);
  checkLoopNames(options.loops);
  return options;
}

/** Checks `serveAdmin` options. */
export function checkServeOptions(options: ServeAdminOptions): ServeAdminOptions {
  checkOptions('serveAdmin', serveSchema, options);
  checkLoopNames(options.loops);
  return options;
}

function checkLoopNames(loops: readonly AdminLoop[]): void {
  const seen = new Set<string>();
  for (const loop of loops) {
    if (typeof loop.name !== 'string' || loop.name === '') throw new InvalidArgumentError('adminHandler: every loop needs a name');
    if (seen.has(loop.name)) throw new InvalidArgumentError(`adminHandler: two loops are named "${loop.name}": give each loop its own name`);
    seen.add(loop.name);
  }
}

/** Option values with their defaults applied. */
export interface AdminSettings {
  readonly maxBodyBytes: number;
  readonly snapshotMaxAge: number;
  readonly eventsInterval: number;
  readonly maxEventStreams: number;
  readonly recentPasses: number;
  readonly passesPerKey: number;
  readonly trackedKeys: number;
  readonly storeTimeout: number;
  readonly basePath: string;
  readonly allowedHosts: ReadonlySet<string> | undefined;
}

/** The defaults of the numeric options. */
export function settingsOf(options: AdminOptions): AdminSettings {
  return {
    maxBodyBytes: options.maxBodyBytes ?? 16_384,
    snapshotMaxAge: options.snapshotMaxAge ?? 250,
    eventsInterval: options.eventsInterval ?? 1000,
    maxEventStreams: options.maxEventStreams ?? 16,
    recentPasses: options.recentPasses ?? 100,
    passesPerKey: options.passesPerKey ?? 10,
    trackedKeys: options.trackedKeys ?? 1000,
    storeTimeout: options.storeTimeout ?? 2000,
    basePath: options.basePath === undefined || options.basePath === '/' ? '' : options.basePath,
    allowedHosts: options.allowedHosts === undefined ? undefined : new Set(options.allowedHosts.map((h) => h.toLowerCase())),
  };
}
