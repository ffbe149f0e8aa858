/**
 * `rx-reconcile/admin`: operate running loops over HTTP — a JSON API, a live page, `/healthz` and
 * `/readyz` probes, `/metrics`, and Prometheus alerting rules (`admin/alerts/`).
 *
 * - {@link adminHandler}: a Node `(req, res)` listener (node:http, Express, Fastify).
 * - {@link serveAdmin}: the same on its own server, bound to 127.0.0.1 by default.
 *
 * Uses Node's `http` only (no web framework); prom-client is never imported (the registry is passed in).
 *
 * @module
 */
export { adminHandler } from './admin-handler.js';
export { serveAdmin } from './serve-admin.js';
export type { AdminServer } from './serve-admin.js';
export type { AdminOptions, ServeAdminOptions } from './admin-options.js';
export { ALERT_RULE_FILES } from './alert-rules.js';
