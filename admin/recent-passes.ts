/**
 * The recent passes of one loop, for the admin page: a ring buffer of the last passes of the loop,
 * and the last few passes of each key that failed or was acted on (bounded, least recently updated
 * keys dropped first).
 *
 * Fed from the loop's `results$`, created with the admin handler: loops nobody administers pay
 * nothing. A pass costs one array write and one map lookup here; results are kept as they are (no
 * copy) and turned into JSON only when read.
 *
 * @module
 */
import type { PassResult } from '../src/queue-types.js';
import type { Key } from '../src/types.js';

/** One pass as the admin API shows it. */
export interface PassView {
  readonly key: Key;
  readonly reconcileId: string;
  readonly reason: string;
  readonly outcome: PassResult['outcome']['type'];
  /** For `requeueAfter` and `waiting`: the delay asked for, in ms. */
  readonly ms: number | undefined;
  readonly error: { readonly message: string; readonly class: string | undefined; readonly name: string } | undefined;
  readonly failures: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationMs: number;
  readonly nextAttemptAt: number | undefined;
  readonly parked: string | undefined;
  readonly aborted: boolean;
}

/** The recent passes of one loop. */
export class RecentPasses {
  private readonly ring: (PassResult | undefined)[];
  private next = 0;
  private readonly byKey = new Map<Key, PassResult[]>();
  private readonly perKey: number;
  private readonly maxKeys: number;

  constructor(capacity: number, perKey: number, maxKeys: number) {
    this.ring = new Array<PassResult | undefined>(capacity).fill(undefined);
    this.perKey = perKey;
    this.maxKeys = maxKeys;
  }

  /** Records a finished pass. */
  add(result: PassResult): void {
    this.ring[this.next] = result;
    this.next = (this.next + 1) % this.ring.length;
    if (this.maxKeys === 0) return;
    const list = this.byKey.size === 0 ? undefined : this.byKey.get(result.key);
    if (list !== undefined) {
      list.push(result);
      if (list.length > this.perKey) list.shift();
      // Most recently updated last: the first key of the map is the one dropped when full.
      this.byKey.delete(result.key);
      this.byKey.set(result.key, list);
    } else if (result.outcome.type !== 'converged' || result.request.reason === 'manual') {
      this.byKey.set(result.key, [result]);
      if (this.byKey.size > this.maxKeys) {
        const oldest = this.byKey.keys().next();
        if (oldest.done !== true) this.byKey.delete(oldest.value);
      }
    }
  }

  /** Starts keeping the passes of `key` (after an admin action on it). */
  track(key: Key): void {
    if (this.maxKeys === 0 || this.byKey.has(key)) return;
    this.byKey.set(key, this.ofKeyInRing(key));
    if (this.byKey.size > this.maxKeys) {
      const oldest = this.byKey.keys().next();
      if (oldest.done !== true) this.byKey.delete(oldest.value);
    }
  }

  /** The loop's last passes, newest first. */
  latest(limit = this.ring.length): PassView[] {
    const out: PassView[] = [];
    for (let i = 1; i <= this.ring.length && out.length < limit; i++) {
      const r = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (r === undefined) break;
      out.push(viewOf(r));
    }
    return out;
  }

  /** The last passes of `key`, newest first. */
  ofKey(key: Key): PassView[] {
    const list = this.byKey.get(key) ?? this.ofKeyInRing(key);
    return list.map(viewOf).reverse();
  }

  /** The last pass of `key`, if one is known. */
  last(key: Key): PassResult | undefined {
    const list = this.byKey.get(key);
    if (list !== undefined) return list[list.length - 1];
    for (let i = 1; i <= this.ring.length; i++) {
      const r = this.ring[(this.next - i + this.ring.length) % this.ring.length];
      if (r === undefined) return undefined;
      if (r.key === key) return r;
    }
    return undefined;
  }

  /** True when a pass of `key` is known. */
  knows(key: Key): boolean {
    return this.last(key) !== undefined;
  }

  private ofKeyInRing(key: Key): PassResult[] {
    const out: PassResult[] = [];
    for (let i = 0; i < this.ring.length; i++) {
      const r = this.ring[(this.next + i) % this.ring.length];
      if (r !== undefined && r.key === key) out.push(r);
    }
    return out.slice(-this.perKey);
  }
}

/** A pass as JSON-ready data. */
export function viewOf(r: PassResult): PassView {
  const o = r.outcome;
  const error = o.type === 'retry' || o.type === 'terminal' ? errorView(o.error, r.failureClass) : undefined;
  return {
    key: r.key,
    reconcileId: r.reconcileId,
    reason: r.request.reason,
    outcome: o.type,
    ms: o.type === 'requeueAfter' || o.type === 'waiting' ? o.ms : undefined,
    error: o.type === 'waiting' ? { message: `waiting for ${o.dependency}`, class: r.failureClass, name: 'Waiting' } : error,
    failures: r.failures,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.finishedAt - r.startedAt,
    nextAttemptAt: r.nextAttemptAt,
    parked: r.parked,
    aborted: r.aborted,
  };
}

function errorView(error: unknown, cls: string | undefined): PassView['error'] {
  if (error instanceof Error) return { message: clipMessage(error.message), class: cls, name: clipMessage(error.name) };
  return { message: clipMessage(String(error)), class: cls, name: 'Error' };
}

/** Longest error message the admin sends, in characters: a 1 MB message must not make every answer 1 MB. */
export const MAX_ERROR_MESSAGE = 2000;

/** `message` cut to {@link MAX_ERROR_MESSAGE} characters, saying how much was left out. */
export function clipMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE) return message;
  return `${message.slice(0, MAX_ERROR_MESSAGE)}… (${message.length - MAX_ERROR_MESSAGE} more characters; see the server log)`;
}
