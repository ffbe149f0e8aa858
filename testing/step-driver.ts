/**
 * Runs a simulation's schedule of steps in order — each `after` ms after the one before, between
 * passes or at one of the loop's calls — and knows when faults may happen around them.
 *
 * @module
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Key } from '../src/index.js';
import type { Faults } from './faults.js';
import { runStep } from './run-step.js';
import type { StepHost } from './run-step.js';
import type { Step } from './steps.js';
import type { TraceRecorder } from './trace-recorder.js';

/** What the driver needs from its simulation. */
export interface DriverHost<V> {
  readonly scheduler: SchedulerLike;
  readonly io: { inflight: number };
  readonly recorder: TraceRecorder<V>;
  readonly faults: Faults;
  /** Keys whose pass is running now. */
  running(): readonly Key[];
  /** What a step changes. */
  stepHost(): StepHost<V>;
  /** Once the faults end (with `releaseWhenFaultsEnd`): parked keys are released once. */
  releaseParked(): void;
  readonly releaseWhenFaultsEnd: boolean;
}

/** The schedule of one simulation, step by step. */
export class StepDriver<Spec, Status, V> {
  private readonly host: DriverHost<V>;
  private readonly steps: readonly Step<Spec, Status, V>[];
  private next = 0;
  private timer: Subscription | undefined;
  /** A step waiting for the loop's `calls`-th call. */
  private armed: { step: Step<Spec, Status, V>; callsLeft: number } | undefined;
  /** A step claimed by one of the loop's calls, to happen when that call settles. */
  private claimed: Step<Spec, Status, V> | undefined;
  private firing: Promise<void> | undefined;
  private releaseScheduled = false;
  private stopped = false;
  /** Virtual times at which the steps happened. */
  readonly times: number[] = [];

  constructor(host: DriverHost<V>, steps: readonly Step<Spec, Status, V>[]) {
    this.host = host;
    this.steps = steps;
  }

  /** True once every step has happened. */
  get done(): boolean {
    return this.next >= this.steps.length && this.timer === undefined && this.armed === undefined && this.claimed === undefined && this.firing === undefined;
  }

  /** True when a step waits for a call of the loop and nothing else is under way. */
  get waitingForCall(): boolean {
    return this.armed !== undefined && this.firing === undefined;
  }

  /** Starts the schedule. */
  start(): void {
    this.armNext();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.unsubscribe();
  }

  /**
   * Whether faults may happen at `now`: before `faults.until`, or — with a fault `window` and no
   * `until` — within `window` ms of the start or of a step.
   */
  faultsActive(now: number): boolean {
    const { until, window } = this.host.faults;
    if (now >= (until ?? Infinity)) return false;
    if (window === undefined || until !== undefined) return true;
    if (now < window) return true;
    return this.times.some((t) => t <= now && now < t + window);
  }

  /**
   * When the faults stop for good: `faults.until`, or (with a `window`) `window` ms after the last
   * step; `undefined` while steps remain. Infinity when faults never stop, 0 without faults.
   */
  faultsEnd(): number | undefined {
    const { until, window, store, world } = this.host.faults;
    if (until !== undefined) return until;
    if (window === undefined) return store === undefined && world === undefined ? 0 : Infinity;
    if (!this.done) return undefined;
    return Math.max(window, ...this.times.map((t) => t + window));
  }

  /** When the run stops changing from outside: `max(faults end, last step)`; `undefined` while steps remain. */
  quietFrom(): number | undefined {
    const end = this.faultsEnd();
    return end === undefined ? undefined : Math.max(end, ...this.times);
  }

  /** Counts one of the loop's calls; the armed step when it is due right after this call. */
  countCall(): Step<Spec, Status, V> | undefined {
    const armed = this.armed;
    if (armed === undefined || --armed.callsLeft > 0) return undefined;
    this.armed = undefined;
    this.claimed = armed.step;
    return armed.step;
  }

  /** Runs the armed step now (the loop is idle: it will make no call to wait for). */
  fireArmed(): Promise<void> {
    const armed = this.armed;
    return armed === undefined ? Promise.resolve() : this.fire(armed.step, false);
  }

  /** Runs a step now, records it (its record comes right after what it changed), then arms the next one. */
  fire(step: Step<Spec, Status, V>, midPass: boolean): Promise<void> {
    if (this.armed?.step === step) this.armed = undefined;
    if (this.claimed === step) this.claimed = undefined;
    const { recorder, scheduler, io } = this.host;
    const running = this.host.running();
    const at = scheduler.now();
    const firstSeq = recorder.position;
    this.times.push(at);
    io.inflight++;
    const done = runStep(this.host.stepHost(), step).then((effect) => {
      // Passes that started while the step was under way may have read what it had not changed yet.
      const keys = [...new Set([...running, ...this.host.running()])].sort();
      recorder.step({ firstSeq, at, kind: step.kind, did: effect.did, note: effect.note, running: keys, midPass });
    });
    this.firing = done.finally(() => {
      io.inflight--;
      this.firing = undefined;
      this.armNext();
    });
    return this.firing;
  }

  /** Arms the next step: a timer `after` ms from now; once none is left, the release of parked keys. */
  private armNext(): void {
    if (this.stopped) return;
    const step = this.steps[this.next];
    if (step === undefined) return this.scheduleRelease();
    this.next++;
    const after = Math.max(0, Number.isFinite(step.after) ? (step.after as number) : 0);
    this.timer = this.host.scheduler.schedule(() => {
      this.timer = undefined;
      if (step.calls !== undefined && step.calls > 0) this.armed = { step, callsLeft: Math.trunc(step.calls) };
      else void this.fire(step, false);
    }, after);
  }

  /** With `releaseWhenFaultsEnd`: once the faults end, parked keys are released once, as an operator would after an incident. */
  private scheduleRelease(): void {
    if (!this.host.releaseWhenFaultsEnd || this.releaseScheduled) return;
    const end = this.quietFrom();
    if (end === undefined || !Number.isFinite(end)) return;
    this.releaseScheduled = true;
    const { scheduler } = this.host;
    scheduler.schedule(() => {
      if (!this.stopped) this.host.releaseParked();
    }, Math.max(0, end - scheduler.now()));
  }
}
