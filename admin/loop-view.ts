/**
 * What the admin knows of one loop: a snapshot reused for a short while (a snapshot costs O(keys)),
 * the recent passes, the actions done through the admin, and the JSON views built from them
 * (summary, key lists, one key's detail).
 *
 * @module
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { LoopHealth } from '../operators/loop/loop-health.js';
import type { DelayedKey, ParkedKey, PassResult, QueueCounters, QueueSnapshot } from '../src/queue-types.js';
import type { Condition } from '../src/status.js';
import type { Key } from '../src/types.js';
import type { AdminLoop } from './admin-options.js';
import { RecentPasses, clipMessage } from './recent-passes.js';
import type { PassView } from './recent-passes.js';

/** The admin actions. */
export type AdminAction = 'trigger' | 'release' | 'pause' | 'resume';
export const ADMIN_ACTIONS: readonly AdminAction[] = ['trigger', 'release', 'pause', 'resume'];

/** A loop in `GET /api/loops` and the event stream. */
export interface LoopSummary {
  readonly name: string;
  /** The kind of a store loop; `null` for a stream loop (`desired$`). */
  readonly kind: string | null;
  /** Where desired state comes from: a store, or `desired$` streams. */
  readonly mode: 'store' | 'streams';
  readonly style: string;
  readonly workers: number;
  readonly depth: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly backoff: number;
  readonly quarantined: number;
  readonly terminal: number;
  readonly hot: number;
  readonly paused: boolean;
  readonly stopping: boolean;
  readonly counters: QueueCounters;
  readonly health: LoopHealth;
  /** Actions done through the admin since it started, by action. */
  readonly actions: Readonly<Record<AdminAction, number>>;
  /** Scheduler time of the snapshot these figures come from. */
  readonly at: number;
}

/** The states `GET /api/loops/:loop/keys?state=` filters on. */
export const KEY_STATES = ['all', 'running', 'queued', 'delayed', 'backoff', 'waiting', 'requeue', 'parked', 'quarantined', 'terminal', 'hot'] as const;
export type KeyStateFilter = (typeof KEY_STATES)[number];

/** A key in a key list. */
export interface KeyView {
  readonly key: Key;
  /** running, backoff, waiting, requeue, quarantined or terminal. */
  readonly state: string;
  /** Consecutive failed attempts. */
  readonly attempts: number;
  readonly nextAttemptAt: number | undefined;
  /** Since when it runs or is parked. */
  readonly since: number | undefined;
  readonly lastError: { readonly message: string; readonly class: string | undefined } | undefined;
  readonly lastOutcome: string | undefined;
  readonly overdue: boolean;
  readonly hot: boolean;
}

/** One loop, as the admin sees it. */
export class LoopView {
  readonly loop: AdminLoop;
  readonly passes: RecentPasses;
  readonly actions: Record<AdminAction, number> = { trigger: 0, release: 0, pause: 0, resume: 0 };
  private cached: QueueSnapshot | undefined;
  private cachedAt = 0;
  /** The summary of `cached` (built once per snapshot). */
  private summarized: { readonly of: QueueSnapshot; readonly summary: LoopSummary } | undefined;
  private readonly maxAge: number;
  private readonly scheduler: SchedulerLike;
  private readonly subscription: Subscription;

  constructor(loop: AdminLoop, options: { scheduler: SchedulerLike; maxAge: number; recentPasses: number; passesPerKey: number; trackedKeys: number }) {
    this.loop = loop;
    this.scheduler = options.scheduler;
    this.maxAge = options.maxAge;
    this.passes = new RecentPasses(options.recentPasses, options.passesPerKey, options.trackedKeys);
    const passes = this.passes;
    // results$ never errors (see Loop); an error handler all the same, so a foreign loop cannot throw here.
    this.subscription = loop.results$.subscribe({ next: (result) => passes.add(result), error: () => undefined });
  }

  get name(): string {
    return this.loop.name;
  }

  /** The loop's snapshot, reused while younger than `maxAge` ms. */
  snapshot(): QueueSnapshot {
    const now = this.scheduler.now();
    if (this.cached === undefined || now - this.cachedAt >= this.maxAge || now < this.cachedAt) {
      this.cached = this.loop.snapshot();
      this.cachedAt = now;
    }
    return this.cached;
  }

  /** Forgets the cached snapshot (after an action, so that the next read shows its effect). */
  invalidate(): void {
    this.cached = undefined;
  }

  /** The loop's summary, built once per snapshot (so it is as old as the snapshot, at most `maxAge` ms). */
  summary(): LoopSummary {
    const s = this.snapshot();
    if (this.summarized?.of === s) return this.summarized.summary;
    const summary = this.summarize(s);
    this.summarized = { of: s, summary };
    return summary;
  }

  private summarize(s: QueueSnapshot): LoopSummary {
    let quarantined = 0;
    for (const p of s.parked) if (p.reason === 'quarantined') quarantined++;
    let backoff = 0;
    for (const d of s.delayed) if (d.why === 'backoff') backoff++;
    const options = this.loop.options;
    return {
      name: this.loop.name,
      kind: options.mode === 'store' ? options.kind : null,
      mode: options.mode,
      style: options.style,
      workers: s.workers > 0 ? s.workers : (options.workers ?? 4),
      depth: s.depth,
      inFlight: s.running,
      delayed: s.delayed.length,
      backoff,
      quarantined,
      terminal: s.parked.length - quarantined,
      hot: s.hot.length,
      paused: s.paused,
      stopping: s.stopping,
      counters: s.counters,
      health: this.loop.health(),
      actions: { ...this.actions },
      at: s.at,
    };
  }

  /**
   * Keys in `state` that contain `q` (ignoring case; `''`: all), at most `limit` after skipping
   * `offset`, and how many match.
   */
  keys(state: KeyStateFilter, limit: number, offset = 0, q = ''): { readonly total: number; readonly listed: boolean; readonly keys: KeyView[] } {
    const s = this.snapshot();
    if (state === 'queued') return { total: s.depth, listed: false, keys: [] };
    const hot = new Set(s.hot.map((h) => h.key));
    const out: KeyView[] = [];
    const needle = q.toLowerCase();
    let total = 0;
    // Views are built for the keys returned only (`limit`); the others are only counted.
    const push = (key: Key, view: () => KeyView): void => {
      if (needle !== '' && !key.toLowerCase().includes(needle)) return;
      total++;
      if (total > offset && out.length < limit) out.push(view());
    };
    const want = (st: string): boolean =>
      state === 'all' || state === st || (state === 'delayed' && (st === 'backoff' || st === 'waiting' || st === 'requeue')) || (state === 'parked' && (st === 'quarantined' || st === 'terminal'));
    if (state === 'hot') {
      for (const h of s.hot) push(h.key, () => this.keyView(s, h.key, hot) ?? { ...blank(h.key, 'hot'), since: h.since, hot: true });
      return { total, listed: true, keys: out };
    }
    if (want('running')) {
      for (const r of s.inFlight) push(r.key, () => ({ ...blank(r.key, 'running'), since: r.since, lastOutcome: this.passes.last(r.key)?.outcome.type, hot: hot.has(r.key), attempts: this.passes.last(r.key)?.failures ?? 0 }));
    }
    for (const d of s.delayed) if (want(d.why)) push(d.key, () => delayedView(d, this.passes.last(d.key), hot));
    for (const p of s.parked) if (want(p.reason)) push(p.key, () => parkedView(p, this.passes.last(p.key), hot));
    return { total, listed: true, keys: out };
  }

  /** Where `key` is in the queue, or undefined when the queue holds nothing about it (idle). */
  keyView(s: QueueSnapshot, key: Key, hot = new Set(s.hot.map((h) => h.key))): KeyView | undefined {
    const last = this.passes.last(key);
    const running = s.inFlight.find((r) => r.key === key);
    if (running !== undefined) return { ...blank(key, 'running'), since: running.since, attempts: last?.failures ?? 0, lastOutcome: last?.outcome.type, hot: hot.has(key) };
    const d = s.delayed.find((x) => x.key === key);
    if (d !== undefined) return delayedView(d, last, hot);
    const p = s.parked.find((x) => x.key === key);
    if (p !== undefined) return parkedView(p, last, hot);
    return undefined;
  }

  /** The recent passes of `key`, newest first. */
  passesOf(key: Key): PassView[] {
    return this.passes.ofKey(key);
  }

  /** Stops listening to the loop's results. */
  close(): void {
    this.subscription.unsubscribe();
  }
}

function delayedView(d: DelayedKey, last: PassResult | undefined, hot: ReadonlySet<Key>): KeyView {
  return {
    key: d.key,
    state: d.why,
    attempts: d.failures,
    nextAttemptAt: d.nextAttemptAt,
    since: undefined,
    lastError: d.lastError === undefined ? undefined : { message: clipMessage(d.lastError), class: d.failureClass },
    lastOutcome: last?.outcome.type,
    overdue: d.overdue,
    hot: hot.has(d.key),
  };
}

function parkedView(p: ParkedKey, last: PassResult | undefined, hot: ReadonlySet<Key>): KeyView {
  return {
    key: p.key,
    state: p.reason,
    attempts: p.failures,
    nextAttemptAt: undefined,
    since: p.since,
    lastError: p.lastError === undefined ? undefined : { message: clipMessage(p.lastError), class: p.failureClass },
    lastOutcome: last?.outcome.type,
    overdue: p.overdue,
    hot: hot.has(p.key),
  };
}

function blank(key: Key, state: string): KeyView {
  return { key, state, attempts: 0, nextAttemptAt: undefined, since: undefined, lastError: undefined, lastOutcome: undefined, overdue: false, hot: false };
}

/** The part of a stored resource the key detail shows. */
export interface ResourceView {
  readonly found: boolean;
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly deleting?: boolean;
  readonly finalizers?: readonly string[];
  readonly conditions?: readonly Condition[];
  /** The resource as JSON text (spec and status), cut at 64 KiB. */
  readonly json?: string;
  readonly truncated?: boolean;
  /** Set when the store could not be read. */
  readonly error?: string;
}

const MAX_RESOURCE_TEXT = 64 * 1024;

/** The view of a stored resource (or of its absence). */
export function resourceView(resource: unknown): ResourceView {
  if (resource === undefined || resource === null || typeof resource !== 'object') return { found: false };
  const r = resource as { metadata?: Record<string, unknown>; spec?: unknown; status?: Record<string, unknown> };
  const metadata = r.metadata ?? {};
  const status = r.status;
  const conditions = Array.isArray(status?.['conditions']) ? (status['conditions'] as Condition[]).filter(isCondition) : [];
  let json = JSON.stringify({ metadata, spec: r.spec, status }, null, 2);
  const truncated = json.length > MAX_RESOURCE_TEXT;
  if (truncated) json = `${json.slice(0, MAX_RESOURCE_TEXT)}\n…`;
  return {
    found: true,
    ...(typeof metadata['generation'] === 'number' ? { generation: metadata['generation'] } : {}),
    ...(typeof status?.['observedGeneration'] === 'number' ? { observedGeneration: status['observedGeneration'] } : {}),
    deleting: metadata['deletionTimestamp'] !== undefined,
    finalizers: Array.isArray(metadata['finalizers']) ? (metadata['finalizers'] as unknown[]).map(String) : [],
    conditions,
    json,
    truncated,
  };
}

function isCondition(c: unknown): c is Condition {
  return typeof c === 'object' && c !== null && typeof (c as Condition).type === 'string';
}
