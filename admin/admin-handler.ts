/**
 * `adminHandler`: the admin HTTP API and page of running loops, as a plain Node request listener.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { asyncScheduler } from 'rxjs';
import { noopLogger, safeLogger } from '../src/ports.js';
import { checkAdminOptions, settingsOf } from './admin-options.js';
import type { AdminOptions } from './admin-options.js';
import { adminMetricsOf } from './admin-metrics.js';
import { action, getKey, getLoop, healthz, listKeys, listLoops, metrics, page, readyz } from './api-handlers.js';
import type { AdminContext, Endpoint } from './api-handlers.js';
import { TokenAuth } from './auth.js';
import { EventHub } from './event-stream.js';
import { HttpError, send, sendError } from './http-io.js';
import { LoopView } from './loop-view.js';
import { pageAssets } from './page-assets.js';
import { Router } from './router.js';
import { crossSite, hostName } from './security-headers.js';
import { describeDocument } from './describe-endpoint.js';
import { watchLoops } from '../operators/describe/watch-loops.js';
import type { LoopWatch } from '../operators/describe/watch-loops.js';

/**
 * A Node request listener serving the admin; `close()` stops it following the loops (and ends its
 * event streams). Mount it in `node:http`, Express (`app.use('/admin', handler)`: unknown paths go to
 * `next`) or Fastify (give `basePath`).
 */
export interface AdminHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void;
  /** Stops following the loops' results, unregisters them from the admin metrics, ends the event streams. */
  close(): void;
}

/**
 * Creates the admin of running loops: a JSON API, a live page, probes and metrics, as one Node
 * `(req, res)` listener.
 *
 * Use it to give an operator a way in without code (see which keys are stuck and why, release or
 * force one, pause a loop) and a supervisor its probes. `serveAdmin` runs it on its own server bound to
 * 127.0.0.1.
 *
 * Endpoints: `GET /` (the page), `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET /api/loops`,
 * `GET /api/loops/:loop`, `GET /api/loops/:loop/keys?state=&limit=&offset=&q=`,
 * `GET /api/loops/:loop/keys/:key`, `POST /api/loops/:loop/keys/:key/trigger`, `POST …/release`,
 * `POST /api/loops/:loop/pause`, `POST …/resume`, `GET /api/events` (server-sent events). Keys go
 * URL-encoded in one path segment (`encodeURIComponent('default/milk')` → `default%2Fmilk`), or in a
 * query (`/api/loops/:loop/key?key=…`, `…/key/trigger?key=…`, `…/key/release?key=…`): the form for
 * keys such as `.` and `..`, which clients resolve away in a path.
 *
 * ## Example
 * ```ts
 * import { createServer } from 'node:http';
 * import client from 'prom-client';
 * import type { Loop } from 'rx-reconcile';
 * import { adminHandler } from 'rx-reconcile/admin';
 *
 * declare const loop: Loop;
 * const registry = new client.Registry();
 * const token = process.env['ADMIN_TOKEN']; // without one the admin is read-only
 * const admin = adminHandler({ loops: [loop], registry, ...(token ? { token } : {}) });
 * createServer(admin).listen(9464, '127.0.0.1');
 * // curl -X POST -H "Authorization: Bearer $ADMIN_TOKEN" http://127.0.0.1:9464/api/loops/todo/keys/buy-milk/release
 * ```
 *
 * ## Expected flow
 * 1. The handler subscribes to each loop's `results$` (a small ring buffer of recent passes).
 * 2. Reads (page, API, probes, metrics) need no token; they read loop snapshots, reused for
 *    `snapshotMaxAge` ms so that pollers cost the loops little.
 * 3. An action (`POST`) is checked — same site, bearer token, body — then done, logged and counted.
 *
 * ## Guarantees
 * - Without `token`/`tokens` nothing can be changed (read-only, said on the page and in `/api/loops`).
 * - Actions need `Authorization: Bearer <token>` (compared in constant time), are `POST` only, and are
 *   refused cross-site (`Sec-Fetch-Site`, `Origin`); bodies are limited to `maxBodyBytes`.
 * - Every response carries `Content-Type`, `X-Content-Type-Options: nosniff` and a strict
 *   Content-Security-Policy; the page writes every value as text (`textContent`), never as HTML.
 * - Errors are JSON `{ error, message }`: 400 bad encoding or body, 401, 403, 404 unknown loop, key
 *   or path, 405 wrong method (with `Allow`), 409 nothing to do, 413, 415.
 *
 * ## Caveats
 * - `GET /api/loops/:loop/keys?state=queued` gives the number of ready keys only: the queue does not list them.
 * - Figures may be up to `snapshotMaxAge` ms old (an action refreshes them at once).
 */
export function adminHandler(options: AdminOptions): AdminHandler {
  checkAdminOptions(options);
  const settings = settingsOf(options);
  const scheduler = options.scheduler ?? asyncScheduler;
  const logger = safeLogger(options.logger ?? noopLogger).child({ component: 'admin' });
  const views = new Map<string, LoopView>();
  for (const loop of options.loops) {
    views.set(
      loop.name,
      new LoopView(loop, {
        scheduler,
        maxAge: settings.snapshotMaxAge,
        recentPasses: settings.recentPasses,
        passesPerKey: settings.passesPerKey,
        trackedKeys: settings.trackedKeys,
      }),
    );
  }
  const adminMetrics = options.registry === undefined ? undefined : adminMetricsOf(options.registry, options.metricNames ?? 'rx-reconcile', options.metricsPrefix ?? '');
  for (const loop of options.loops) adminMetrics?.add(loop);
  const hub: EventHub = new EventHub([...views.values()], { scheduler, interval: settings.eventsInterval, max: settings.maxEventStreams, page: () => page(ctx) });
  const ctx: AdminContext = {
    views,
    auth: new TokenAuth(options.token, options.tokens),
    metrics: adminMetrics,
    registry: options.registry,
    logger,
    settings,
    scheduler,
    hub,
  };
  const assets = pageAssets();
  // Time to converge for the design document's live figures, recorded from the loops' results from
  // the first time the document is asked for: the recorder keeps a record per key, work a drain
  // with the admin open does not need to pay until someone reads the document (BENCHMARKS.md #30).
  let recorder: LoopWatch | undefined;
  let closed = false;
  const watch: LoopWatch = {
    convergence: (loop) => {
      if (recorder === undefined && !closed) recorder = watchLoops(options.loops);
      return recorder?.convergence(loop);
    },
    stop: () => {
      closed = true;
      recorder?.stop();
    },
  };
  const asset =
    (name: string): Endpoint =>
    (req, res) => {
      const file = assets.get(name);
      if (file === undefined) throw new HttpError(404, 'not_found', `no file ${name}`);
      send(req, res, 200, file.type, file.body);
    };

  const router = new Router<Endpoint>()
    .add('GET', '/', asset('index.html'))
    .add('GET', '/assets/admin.css', asset('admin.css'))
    .add('GET', '/assets/admin.js', asset('admin.js'))
    .add('GET', '/favicon.ico', (req, res) => send(req, res, 204, 'image/x-icon', ''))
    .add('GET', '/healthz', healthz)
    .add('GET', '/readyz', readyz)
    .add('GET', '/metrics', metrics)
    .add('GET', '/api/loops', listLoops)
    .add('GET', '/api/loops/:loop', getLoop)
    .add('GET', '/api/loops/:loop/keys', listKeys)
    .add('GET', '/api/loops/:loop/keys/:key', getKey)
    .add('POST', '/api/loops/:loop/keys/:key/trigger', action('trigger'))
    .add('POST', '/api/loops/:loop/keys/:key/release', action('release'))
    .add('GET', '/api/loops/:loop/key', getKey)
    .add('POST', '/api/loops/:loop/key/trigger', action('trigger'))
    .add('POST', '/api/loops/:loop/key/release', action('release'))
    .add('POST', '/api/loops/:loop/pause', action('pause'))
    .add('POST', '/api/loops/:loop/resume', action('resume'))
    .add('GET', '/api/events', (req, res) => {
      // A stream holds a slot of maxEventStreams: a page of another site (which the browser would
      // not let read it anyway) must not take them all.
      const site = crossSite(req);
      if (site !== undefined) throw new HttpError(403, 'cross_site', `cross-site pages may not open the event stream (${site})`);
      if (req.method === 'HEAD') return send(req, res, 200, 'text/event-stream; charset=utf-8', '');
      hub.open(req, res);
    })
    .add('GET', '/describe', describeDocument(options.loops, watch, 'html'))
    .add('GET', '/describe.md', describeDocument(options.loops, watch, 'markdown'));

  const handle = async (req: IncomingMessage, res: ServerResponse, next: ((error?: unknown) => void) | undefined): Promise<void> => {
    if (closed) throw new HttpError(503, 'admin_closed', 'this admin was closed (adminHandler(...).close()); no more requests are served');
    let url = req.url ?? '/';
    if (settings.basePath !== '') {
      const path = url.split('?')[0] as string;
      if (path === settings.basePath) return redirect(req, res, `${settings.basePath}/${url.slice(path.length)}`);
      if (!path.startsWith(`${settings.basePath}/`)) {
        if (next !== undefined) return next();
        throw new HttpError(404, 'not_found', `the admin is under ${settings.basePath}/`);
      }
      url = url.slice(settings.basePath.length);
    }
    // Mounted by Express under a prefix (`app.use('/admin', handler)`): the page's relative links
    // need the trailing slash.
    const original = (req as { originalUrl?: unknown }).originalUrl;
    if (typeof original === 'string' && url.split('?')[0] === '/') {
      const path = original.split('?')[0] as string;
      if (!path.endsWith('/')) return redirect(req, res, `${path}/${original.slice(path.length)}`);
    }
    if (settings.allowedHosts !== undefined && !settings.allowedHosts.has(hostName(req))) {
      throw new HttpError(421, 'unexpected_host', `this admin answers only to ${[...settings.allowedHosts].join(', ')} (Host header)`);
    }
    let match;
    try {
      match = router.match(req.method ?? 'GET', url);
    } catch (error) {
      if (next !== undefined && error instanceof HttpError && error.status === 404) return next();
      throw error;
    }
    await match.handler(req, res, match, ctx);
  };

  const handler = ((req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void): void => {
    handle(req, res, next).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendError(req, res, error);
        return;
      }
      logger.error({ err: error, url: req.url, method: req.method }, 'Admin request failed');
      sendError(req, res, new HttpError(500, 'internal', 'the admin failed to answer; see the server log'));
    });
  }) as AdminHandler;
  handler.close = () => {
    watch.stop();
    hub.closeAll();
    for (const view of views.values()) {
      view.close();
      adminMetrics?.remove(view.loop);
    }
  };
  return handler;
}

function redirect(req: IncomingMessage, res: ServerResponse, target: string): void {
  // Never a protocol-relative URL (`//host`, `/\\host`): the redirect stays on this host.
  const location = target.replace(/^[/\\]+/, '/');
  res.setHeader('Location', location);
  send(req, res, 308, 'application/json; charset=utf-8', JSON.stringify({ redirect: location }));
}
