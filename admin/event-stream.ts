/**
 * `GET /api/events`: server-sent events of loop state changes, for the page.
 *
 * On connect a client gets `event: loops` (every loop's summary, as `GET /api/loops`); then, every
 * `eventsInterval` ms while at least one client listens, each loop whose summary changed is sent as
 * `event: loop`, and a comment line keeps idle connections open. One timer and one snapshot per loop
 * and period serve every client (snapshots are reused, see `LoopView.snapshot`); with no client there
 * is no timer. Loops are sampled rather than followed through `state$`, whose every emission computes a
 * full O(keys) snapshot: during a 100k-key drain that cost more than the drain itself can spare.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SchedulerLike, Subscription } from 'rxjs';
import { HttpError } from './http-io.js';
import type { LoopView } from './loop-view.js';
import { setSecurityHeaders } from './security-headers.js';

/** A slow client whose unsent data passes this is dropped. */
const MAX_BUFFERED = 1024 * 1024;
/** Ticks between keep-alive comments when nothing changed. */
const KEEPALIVE_EVERY = 15;

/** The event stream of one admin handler. */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private timer: Subscription | undefined;
  private readonly last = new Map<string, string>();
  private quiet = 0;
  private readonly views: readonly LoopView[];
  private readonly scheduler: SchedulerLike;
  private readonly interval: number;
  private readonly max: number;
  private readonly page: () => unknown;

  constructor(views: readonly LoopView[], options: { scheduler: SchedulerLike; interval: number; max: number; page: () => unknown }) {
    this.views = views;
    this.scheduler = options.scheduler;
    this.interval = options.interval;
    this.max = options.max;
    this.page = options.page;
  }

  /** Number of open streams. */
  get size(): number {
    return this.clients.size;
  }

  /** Opens a stream on `res`. */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= this.max) throw new HttpError(503, 'too_many_streams', `at most ${this.max} event streams may be open at once`, { 'Retry-After': '10' });
    setSecurityHeaders(res, 'text/event-stream; charset=utf-8');
    res.setHeader('X-Accel-Buffering', 'no');
    res.statusCode = 200;
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    this.clients.add(res);
    const drop = (): void => this.close(res);
    res.on('close', drop);
    res.on('error', drop);
    write(res, `retry: 3000\n\n`);
    write(res, message('loops', this.page()));
    if (this.timer === undefined) this.start();
  }

  /** Sends the changes at once (after an admin action) instead of at the next tick. */
  poke(): void {
    if (this.clients.size > 0) this.tick();
  }

  /** Ends every stream. */
  closeAll(): void {
    for (const res of [...this.clients]) res.end();
    this.clients.clear();
    this.stop();
  }

  private start(): void {
    const hub = this;
    // Summaries as sent so far, so that a new client after a quiet period starts from what it got.
    for (const view of this.views) this.last.set(view.name, JSON.stringify(view.summary()));
    this.timer = this.scheduler.schedule(function (this: { schedule(state?: undefined, delay?: number): unknown }) {
      if (hub.clients.size === 0) {
        hub.stop();
        return;
      }
      hub.tick();
      this.schedule(undefined, hub.interval);
    }, this.interval);
  }

  private stop(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.last.clear();
  }

  private tick(): void {
    let sent = false;
    for (const view of this.views) {
      let text: string;
      try {
        text = JSON.stringify(view.summary());
      } catch {
        continue;
      }
      if (this.last.get(view.name) === text) continue;
      this.last.set(view.name, text);
      this.broadcast(`event: loop\ndata: ${text}\n\n`);
      sent = true;
    }
    if (sent) this.quiet = 0;
    else if (++this.quiet >= KEEPALIVE_EVERY) {
      this.quiet = 0;
      this.broadcast(': keep-alive\n\n');
    }
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_BUFFERED) {
        res.destroy();
        this.close(res);
        continue;
      }
      write(res, text);
    }
  }

  private close(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.clients.size === 0) this.stop();
  }
}

function message(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function write(res: ServerResponse, text: string): void {
  if (!res.writableEnded && !res.destroyed) res.write(text);
}
