/**
 * The JSON endpoints of the admin: probes, metrics, loops, keys, one key, and the actions.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SchedulerLike } from 'rxjs';
import type { Logger } from '../src/ports.js';
import type { Key } from '../src/types.js';
import type { AdminRegistry, AdminSettings } from './admin-options.js';
import type { ActionResult, AdminMetrics } from './admin-metrics.js';
import type { TokenAuth } from './auth.js';
import type { EventHub } from './event-stream.js';
import { HttpError, readJsonBody, send, sendJson } from './http-io.js';
import { KEY_STATES, resourceView } from './loop-view.js';
import type { AdminAction, KeyStateFilter, LoopSummary, LoopView, ResourceView } from './loop-view.js';
import type { Match } from './router.js';
import { crossSite } from './security-headers.js';

/** What every endpoint can reach. */
export interface AdminContext {
  readonly views: ReadonlyMap<string, LoopView>;
  readonly auth: TokenAuth;
  readonly metrics: AdminMetrics | undefined;
  readonly registry: AdminRegistry | undefined;
  readonly logger: Logger;
  readonly settings: AdminSettings;
  readonly hub: EventHub;
  readonly scheduler: SchedulerLike;
}

/** An endpoint. */
export type Endpoint = (req: IncomingMessage, res: ServerResponse, match: Match<Endpoint>, ctx: AdminContext) => Promise<void> | void;

// ---- probes and metrics ---------------------------------------------------------------------------

/** `GET /healthz`: 200 while every loop is alive, else 503 naming the loops that are not. */
export const healthz: Endpoint = (req, res, _m, ctx) => probe(req, res, ctx, 'alive');

/** `GET /readyz`: 200 while every loop is ready (first full list done, owns what it should), else 503. */
export const readyz: Endpoint = (req, res, _m, ctx) => probe(req, res, ctx, 'ready');

function probe(req: IncomingMessage, res: ServerResponse, ctx: AdminContext, what: 'alive' | 'ready'): void {
  const loops = [...ctx.views.values()].map((view) => {
    const h = view.loop.health();
    return { name: view.name, alive: h.alive, ready: h.ready, state: h.state, reason: h.reason ?? null };
  });
  const failing = loops.filter((l) => !l[what]);
  const ok = failing.length === 0;
  const reason = ok ? null : failing.map((l) => `loop "${l.name}": ${l.reason ?? `not ${what}`}`).join('; ');
  sendJson(req, res, ok ? 200 : 503, { status: ok ? 'ok' : what === 'alive' ? 'unhealthy' : 'not ready', reason, loops });
}

/** `GET /metrics`: the Prometheus text of the registry given to `adminHandler`. */
export const metrics: Endpoint = async (req, res, _m, ctx) => {
  if (ctx.registry === undefined) throw new HttpError(404, 'no_registry', 'no Prometheus registry: pass registry (the one given to prometheusMetrics) to adminHandler');
  const text = await ctx.registry.metrics();
  send(req, res, 200, ctx.registry.contentType, text);
};

// ---- loops and keys --------------------------------------------------------------------------------

/** `GET /api/loops`: every loop's summary, and whether actions are possible. */
export const listLoops: Endpoint = (req, res, _m, ctx) => {
  send(req, res, 200, 'application/json; charset=utf-8', pageText(ctx));
};

const pages = new WeakMap<AdminContext, { readonly summaries: readonly LoopSummary[]; readonly text: Buffer }>();

/**
 * The body of `GET /api/loops` as JSON text, built again only when a loop's summary was (pollers
 * share it while the snapshots are reused). Its `now` is when it was built.
 */
export function pageText(ctx: AdminContext): Buffer {
  const summaries = [...ctx.views.values()].map((view) => view.summary());
  const last = pages.get(ctx);
  if (last !== undefined && last.summaries.every((s, i) => s === summaries[i])) return last.text;
  const text = Buffer.from(JSON.stringify(pageOf(ctx, summaries)), 'utf8');
  pages.set(ctx, { summaries, text });
  return text;
}

/** The body of `GET /api/loops` (also the first event of the event stream). */
export function page(ctx: AdminContext): unknown {
  return pageOf(ctx, [...ctx.views.values()].map((view) => view.summary()));
}

function pageOf(ctx: AdminContext, loops: readonly LoopSummary[]): unknown {
  return {
    readOnly: !ctx.auth.enabled,
    ...(ctx.auth.enabled ? {} : { notice: 'read-only: the admin was started without a token, so trigger, release, pause and resume are off' }),
    now: ctx.scheduler.now(),
    loops,
  };
}

/** `GET /api/loops/:loop`: one loop's summary and its last passes. */
export const getLoop: Endpoint = (req, res, m, ctx) => {
  const view = loopOf(ctx, m);
  sendJson(req, res, 200, { now: ctx.scheduler.now(), loop: view.summary(), passes: view.passes.latest(50) });
};

/** Longest `q` of a key listing, in characters. */
const MAX_QUERY = 200;

/**
 * `GET /api/loops/:loop/keys?state=…&limit=…&offset=…&q=…`: keys with attempts, next attempt, last
 * error, last outcome; `q` keeps the keys that contain it (ignoring case), `offset` skips that many.
 */
export const listKeys: Endpoint = (req, res, m, ctx) => {
  const view = loopOf(ctx, m);
  const state = (m.query.get('state') ?? 'all') as KeyStateFilter;
  if (!KEY_STATES.includes(state)) throw new HttpError(400, 'bad_state', `state must be one of ${KEY_STATES.join(', ')}`);
  const limit = integerParam(m, 'limit', 200, 1, 10_000);
  const offset = integerParam(m, 'offset', 0, 0, 1_000_000_000);
  const q = m.query.get('q') ?? '';
  if (q.length > MAX_QUERY) throw new HttpError(400, 'bad_query', `q must be at most ${MAX_QUERY} characters`);
  const { total, listed, keys } = view.keys(state, limit, offset, q);
  sendJson(req, res, 200, {
    loop: view.name,
    state,
    now: ctx.scheduler.now(),
    total,
    offset,
    q,
    listed,
    ...(listed ? {} : { notice: 'the queue counts the keys ready to run but does not list them' }),
    keys,
  });
};

/** `GET /api/loops/:loop/keys/:key`: where the key is, its recent passes, its resource's conditions. */
export const getKey: Endpoint = async (req, res, m, ctx) => {
  const view = loopOf(ctx, m);
  const key = keyOf(m);
  const snapshot = view.snapshot();
  const where = view.keyView(snapshot, key);
  const resource = await readResource(view, key, ctx);
  const passes = view.passesOf(key);
  // A store that cannot be read says nothing of the key: answer with its error (the page shows it), not 404.
  if (where === undefined && passes.length === 0 && !resource.found && !unreadable(view, resource)) {
    throw new HttpError(404, 'unknown_key', `loop "${view.name}" knows no key ${JSON.stringify(key)}: not queued, running, delayed or parked, no recent pass, not in the store`);
  }
  sendJson(req, res, 200, {
    loop: view.name,
    key,
    now: ctx.scheduler.now(),
    state: where ?? { key, state: 'idle' },
    passes,
    resource,
  });
};

async function readResource(view: LoopView, key: Key, ctx: AdminContext): Promise<ResourceView> {
  const options = view.loop.options;
  if (options.mode !== 'store') return { found: false, error: 'a stream loop (desired$): no store to read the resource from' };
  const { store, kind } = options;
  try {
    const resource = await withTimeout(Promise.resolve(store.get(kind, key)), ctx.settings.storeTimeout, ctx.scheduler);
    return resourceView(resource);
  } catch (error) {
    return { found: false, error: error instanceof Error ? error.message : String(error) };
  }
}

// ---- actions ---------------------------------------------------------------------------------------

/** `POST /api/loops/:loop/keys/:key/trigger` and `…/release`, `POST /api/loops/:loop/pause` and `…/resume`. */
export function action(name: AdminAction): Endpoint {
  return async (req, res, m, ctx) => {
    const view = loopOf(ctx, m);
    const key = name === 'trigger' || name === 'release' ? keyOf(m) : undefined;
    const who = authorize(req, ctx, view.name, name, key);
    const body = await readJsonBody(req, ctx.settings.maxBodyBytes);
    const reason = reasonOf(body);
    const done = (result: ActionResult, status: number, code: string, message: string): void => {
      ctx.metrics?.count(view.name, name, result);
      if (result === 'ok') view.actions[name] += 1;
      const fields = { who, action: name, loop: view.name, ...(key === undefined ? {} : { key }), ...(reason === undefined ? {} : { reason }), result, remote: req.socket.remoteAddress };
      if (result === 'ok') ctx.logger.info(fields, 'Admin action');
      else ctx.logger.warn({ ...fields, why: message }, 'Admin action refused');
      if (result !== 'ok') throw new HttpError(status, code, message);
    };
    const loop = view.loop;
    const stopped = (): void => done('refused', 409, 'loop_stopped', `loop "${view.name}" is ${loop.health().state}: it takes no more actions`);
    if (key !== undefined && name === 'trigger' && !(await known(view, key, ctx))) {
      done('refused', 404, 'unknown_key', `loop "${view.name}" knows no key ${JSON.stringify(key)} (not in its queue, its recent passes or the store)`);
    }
    let ok: boolean;
    if (name === 'trigger') ok = loop.trigger(key as Key);
    else if (name === 'release') ok = loop.release(key as Key);
    else if (name === 'pause') ok = loop.pause();
    else ok = loop.resume();
    if (!ok) {
      if (!loop.health().alive) stopped();
      else if (name === 'release') {
        const exists = await known(view, key as Key, ctx);
        done(
          'refused',
          exists ? 409 : 404,
          exists ? 'not_parked' : 'unknown_key',
          exists ? `key ${JSON.stringify(key)} is not quarantined or terminal in loop "${view.name}": use trigger to run it now` : `loop "${view.name}" knows no key ${JSON.stringify(key)}`,
        );
      } else stopped();
    }
    if (key !== undefined) view.passes.track(key);
    view.invalidate();
    done('ok', 200, '', '');
    ctx.hub.poke();
    sendJson(req, res, 200, { ok: true, action: name, loop: view.name, ...(key === undefined ? {} : { key }), by: who });
  };
}

/** The caller's name; throws (and counts and logs) when the request may not act. */
function authorize(req: IncomingMessage, ctx: AdminContext, loop: string, name: AdminAction, key: Key | undefined): string {
  const deny = (status: number, code: string, message: string, headers: Record<string, string> = {}): never => {
    ctx.metrics?.count(loop, name, 'denied');
    ctx.logger.warn({ action: name, loop, ...(key === undefined ? {} : { key }), result: 'denied', why: code, remote: req.socket.remoteAddress }, 'Admin action denied');
    throw new HttpError(status, code, message, headers);
  };
  const site = crossSite(req);
  if (site !== undefined) deny(403, 'cross_site', `cross-site requests may not act (${site})`);
  const caller = ctx.auth.identify(req);
  if (caller.ok) return caller.who;
  if (caller.why === 'read-only') return deny(403, 'read_only', 'the admin is read-only: it was started without a token; pass token (or tokens) to adminHandler to allow actions');
  return deny(401, 'unauthorized', caller.why === 'missing' ? 'send Authorization: Bearer <token>' : 'the token is not valid', {
    'WWW-Authenticate': 'Bearer realm="rx-reconcile admin"',
  });
}

function reasonOf(body: Record<string, unknown>): string | undefined {
  for (const field of Object.keys(body)) {
    if (field !== 'reason') throw new HttpError(400, 'bad_body', `unknown field ${JSON.stringify(field.slice(0, 40))}: the body takes only "reason" (a string, for the log)`);
  }
  const reason = body['reason'];
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string' || reason.length > 500) throw new HttpError(400, 'bad_body', 'reason must be a string of at most 500 characters');
  return reason;
}

/**
 * True when the queue, the recent passes or the store know `key`, or when the store cannot be read
 * now (an action is not refused because of a failed read: the loop's pass reads again).
 */
async function known(view: LoopView, key: Key, ctx: AdminContext): Promise<boolean> {
  if (view.keyView(view.loop.snapshot(), key) !== undefined || view.passes.knows(key)) return true;
  const resource = await readResource(view, key, ctx);
  return resource.found || unreadable(view, resource);
}

/** The resource could not be read because the loop's store failed (or did not answer in time). */
function unreadable(view: LoopView, resource: ResourceView): boolean {
  return view.loop.options.mode === 'store' && !resource.found && resource.error !== undefined;
}

// ---- helpers ---------------------------------------------------------------------------------------

function loopOf(ctx: AdminContext, m: Match<Endpoint>): LoopView {
  const name = m.params['loop'] as string;
  const view = ctx.views.get(name);
  if (view === undefined) throw new HttpError(404, 'unknown_loop', `no loop named ${JSON.stringify(name.slice(0, 200))} (loops: ${[...ctx.views.keys()].join(', ')})`);
  return view;
}

/**
 * The key of a key route: its path segment (`/keys/:key`), or its `key` query parameter (`/key?key=…`,
 * the form for every key a URL path cannot carry as it is: browsers and proxies resolve `.` and `..`,
 * even encoded as `%2e`, before the request leaves).
 */
function keyOf(m: Match<Endpoint>): Key {
  const key = m.params['key'] ?? m.query.get('key');
  if (key === undefined || key === null || key === '') throw new HttpError(400, 'bad_key', 'name the key: /keys/<url-encoded key>, or /key?key=<url-encoded key>');
  return key;
}

/** An integer query parameter within [min, max], or `fallback` when absent. */
function integerParam(m: Match<Endpoint>, name: string, fallback: number, min: number, max: number): number {
  const text = m.query.get(name);
  if (text === null) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new HttpError(400, `bad_${name}`, `${name} must be an integer from ${min} to ${max}`);
  return value;
}

function withTimeout<T>(promise: Promise<T>, ms: number, scheduler: SchedulerLike): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = scheduler.schedule(() => reject(new Error(`the store did not answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        timer.unsubscribe();
        resolve(value);
      },
      (error: unknown) => {
        timer.unsubscribe();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
