/**
 * One etcd lease kept alive by this process, with a renew deadline of its own: `LeaseKeeper`.
 *
 * etcd3's `Lease` reports a lost lease only after 2 × TTL and keeps renewing after `close()`; this
 * keeper renews on its own timer, each renewal bounded by a deadline, and counts the lease as held
 * only until `renewDeadline` after the *sending* of the last successful renewal. etcd measures the
 * TTL from when it *received* that renewal, so this replica stops believing it holds the lease
 * `ttl − renewDeadline` before etcd can expire it, whatever the network delay, and a paused process
 * finds its lease stale the moment it runs again.
 *
 * @module
 */
import type { Etcd3 } from 'etcd3';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { Logger } from '../src/ports.js';
import { deadline, etcdCall } from './etcd-call.js';

/** What a {@link LeaseKeeper} needs. */
export interface LeaseContext {
  readonly client: Etcd3;
  readonly scheduler: SchedulerLike;
  readonly logger: Logger;
  /** The lease's TTL in whole seconds. */
  readonly ttlSeconds: number;
  /** How long after sending a successful renewal the lease counts as held, in ms (< TTL). */
  readonly renewDeadline: number;
  /** Time between renewals, in ms. */
  readonly renewEvery: number;
  /** Deadline of each request, in ms. */
  readonly timeoutMs: number;
  /** The monotonic clock (ms). */
  readonly now: () => number;
}

/** A lease held by this process. Create it with {@link LeaseKeeper.grant}. */
export class LeaseKeeper {
  /** The lease id (decimal). */
  readonly id: string;
  private validUntil: number;
  private timer: Subscription | undefined;
  private stepDown: Subscription | undefined;
  private ended = false;
  private readonly context: LeaseContext;
  private readonly onLost: (reason: string) => void;

  private constructor(context: LeaseContext, id: string, sentAt: number, onLost: (reason: string) => void) {
    this.context = context;
    this.id = id;
    this.validUntil = sentAt + context.renewDeadline;
    this.onLost = onLost;
    this.renewLater();
    this.armStepDown();
  }

  /** Grants a lease and starts renewing it; `onLost` is called once when it is no longer held. */
  static async grant(context: LeaseContext, onLost: (reason: string) => void): Promise<LeaseKeeper> {
    const sentAt = context.now();
    const granted = await etcdCall('grant a lease', context.timeoutMs, () =>
      context.client.leaseClient.leaseGrant({ TTL: context.ttlSeconds, ID: 0 }, deadline(context.scheduler, context.timeoutMs)),
    );
    return new LeaseKeeper(context, String(granted.ID), sentAt, onLost);
  }

  /**
   * True while the last renewal is fresh enough: cheap, computed from the clock, so a process that
   * was paused past its deadline sees it at once, before its step-down timer had a chance to run (it
   * steps down right there).
   */
  held(): boolean {
    if (this.ended) return false;
    if (this.context.now() < this.validUntil) return true;
    this.lose(`no renewal succeeded within the renew deadline (${this.context.renewDeadline} ms)`);
    return false;
  }

  /** Stops renewing and revokes the lease: its keys go at once. Never throws. */
  async revoke(): Promise<void> {
    this.end();
    const { client, scheduler, timeoutMs, logger } = this.context;
    await client.leaseClient.leaseRevoke({ ID: this.id }, deadline(scheduler, timeoutMs)).catch((error: unknown) => {
      logger.debug({ lease: this.id, error: (error as Error).message }, 'Lease revoke failed; it expires by itself');
    });
  }

  private end(): void {
    this.ended = true;
    this.timer?.unsubscribe();
    this.stepDown?.unsubscribe();
  }

  private lose(reason: string): void {
    if (this.ended) return;
    this.end();
    this.onLost(reason);
  }

  private renewLater(): void {
    this.timer = this.context.scheduler.schedule(() => void this.renew(), this.context.renewEvery);
  }

  /** Steps down at the renew deadline unless a renewal moved it. */
  private armStepDown(): void {
    this.stepDown?.unsubscribe();
    const wait = Math.max(0, this.validUntil - this.context.now());
    this.stepDown = this.context.scheduler.schedule(() => {
      if (this.ended) return;
      if (this.context.now() >= this.validUntil) this.lose(`no renewal succeeded within the renew deadline (${this.context.renewDeadline} ms)`);
      else this.armStepDown();
    }, wait);
  }

  private async renew(): Promise<void> {
    if (this.ended) return;
    const sentAt = this.context.now();
    try {
      const ttl = await this.keepAliveOnce();
      if (this.ended) return;
      if (ttl <= 0) {
        this.lose('etcd says the lease expired');
        return;
      }
      // Held until the renew deadline after this renewal was *sent*; an answer that came back later
      // than that proves nothing about the time in between.
      this.validUntil = Math.max(this.validUntil, sentAt + this.context.renewDeadline);
      if (!this.held()) return;
      this.armStepDown();
    } catch (error) {
      this.context.logger.warn({ lease: this.id, error: (error as Error).message }, 'Lease renewal failed');
    }
    if (!this.ended) this.renewLater();
  }

  /** One keep-alive on its own stream, bounded by the request deadline; resolves to the TTL left. */
  private async keepAliveOnce(): Promise<number> {
    const { client, scheduler, timeoutMs } = this.context;
    const stream = await etcdCall('renew the lease', timeoutMs, () => client.leaseClient.leaseKeepAlive(deadline(scheduler, timeoutMs)));
    try {
      return await new Promise<number>((resolve, reject) => {
        const guard = scheduler.schedule(() => reject(new Error(`no keep-alive answer within ${timeoutMs} ms`)), timeoutMs);
        stream.on('data', (response: { TTL: string | number }) => {
          guard.unsubscribe();
          resolve(Number(response.TTL));
        });
        stream.on('error', (error: Error) => {
          guard.unsubscribe();
          reject(error);
        });
        stream.write({ ID: this.id });
      });
    } finally {
      stream.end();
    }
  }
}
