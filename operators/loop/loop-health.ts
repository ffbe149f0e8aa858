/**
 * The health of a running loop: alive, ready after its first full list, paused, and what its trigger
 * sources went through (errors, restarts). `loop.health()` reads it; the admin's `/healthz` and
 * `/readyz` are built on it.
 *
 * @module
 */
import type { SchedulerLike } from 'rxjs';

/** Where a loop is in its life. */
export type LoopState = 'starting' | 'running' | 'stopping' | 'stopped' | 'completed' | 'dead';

/** One trigger source of a loop (its own watch, a dependency watch, the resync, a user source). */
export interface SourceHealth {
  /** e.g. `watch Todo`, `resync`, `dependency Pod`, `triggers[0]`. */
  readonly name: string;
  /** For watches: true once the kind was listed fully (after start and after every re-list). */
  readonly listed: boolean;
  /** Failures so far (each followed by a restart or a skipped round). */
  readonly errors: number;
  /** The last failure, if any. */
  readonly lastError: { readonly message: string; readonly at: number } | undefined;
}

/** A loop's health, as `loop.health()` returns it. */
export interface LoopHealth {
  /** The loop runs: not stopped, not dead. `/healthz` is 200 while every loop is alive. */
  readonly alive: boolean;
  /**
   * Alive, and every watch source has listed its kind at least once (and, with a coordinator, this
   * replica owns what it should). `/readyz` is 200 while every loop is ready.
   */
  readonly ready: boolean;
  /** No new passes start while paused (`loop.pause()`). */
  readonly paused: boolean;
  readonly state: LoopState;
  /** Why the loop is not alive, or not ready; undefined when it is both. */
  readonly reason: string | undefined;
  /** The most recent failure of any trigger source. */
  readonly lastSourceError: { readonly source: string; readonly message: string; readonly at: number } | undefined;
  readonly sources: readonly SourceHealth[];
}

interface MutableSource {
  name: string;
  listed: boolean;
  watch: boolean;
  errors: number;
  lastError: { message: string; at: number } | undefined;
}

/** Collects the health of one loop. */
export class HealthTracker {
  private state: LoopState = 'starting';
  private death: string | undefined;
  private readonly sources = new Map<string, MutableSource>();
  private lastError: { source: string; message: string; at: number } | undefined;
  private readonly scheduler: SchedulerLike;
  /** Extra readiness condition (a coordinator's), with its reason when not ready. */
  private readiness: (() => string | undefined) | undefined;

  constructor(scheduler: SchedulerLike) {
    this.scheduler = scheduler;
  }

  /** Declares a source; `watch` sources must list before the loop is ready. */
  source(name: string, watch: boolean): void {
    this.sources.set(name, { name, listed: !watch, watch, errors: 0, lastError: undefined });
  }

  /** Adds a readiness condition: a function returning why the loop is not ready, or undefined. */
  requireReady(check: () => string | undefined): void {
    this.readiness = check;
  }

  listed(name: string): void {
    const source = this.sources.get(name);
    if (source !== undefined) source.listed = true;
  }

  failed(name: string, error: Error): void {
    const at = this.scheduler.now();
    const source = this.sources.get(name);
    if (source !== undefined) {
      source.errors += 1;
      source.lastError = { message: error.message, at };
    }
    this.lastError = { source: name, message: error.message, at };
  }

  running(): void {
    if (this.state === 'starting') this.state = 'running';
  }

  stopping(): void {
    if (this.state === 'starting' || this.state === 'running') this.state = 'stopping';
  }

  stopped(): void {
    if (this.state !== 'dead') this.state = 'stopped';
  }

  died(reason: string): void {
    this.state = 'dead';
    this.death = reason;
  }

  /** The loop ended by design (its finite sources completed, every key reconciled). */
  completed(reason: string): void {
    this.state = 'completed';
    this.death = reason;
  }

  get isDead(): boolean {
    return this.state === 'dead';
  }

  get isStopping(): boolean {
    return this.state === 'stopping' || this.state === 'stopped' || this.state === 'completed';
  }

  read(paused: boolean): LoopHealth {
    const alive = this.state === 'starting' || this.state === 'running';
    let reason: string | undefined;
    if (this.state === 'dead') reason = `the loop died: ${this.death ?? 'unknown reason'}`;
    else if (this.state === 'completed') reason = `the loop completed: ${this.death ?? ''}`;
    else if (this.state === 'stopping' || this.state === 'stopped') reason = `the loop is ${this.state}`;
    else {
      const unlisted = [...this.sources.values()].filter((s) => s.watch && !s.listed).map((s) => s.name);
      if (unlisted.length > 0) reason = `waiting for the first full list of: ${unlisted.join(', ')}`;
      else reason = safe(this.readiness);
    }
    return {
      alive,
      ready: alive && reason === undefined,
      paused,
      state: this.state,
      reason,
      lastSourceError: this.lastError,
      sources: [...this.sources.values()].map(({ name, listed, errors, lastError }) => ({ name, listed, errors, lastError })),
    };
  }
}

function safe(check: (() => string | undefined) | undefined): string | undefined {
  if (check === undefined) return undefined;
  try {
    return check();
  } catch (error) {
    return `readiness check failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}
