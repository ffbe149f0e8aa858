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
export type { AdminHandler } from './admin-handler.js';
export { serveAdmin } from './serve-admin.js';
export type { AdminServer } from './serve-admin.js';
export type { AdminLoop, AdminOptions, AdminRegistry, ServeAdminOptions } from './admin-options.js';
export type { AdminAction, KeyStateFilter, KeyView, LoopSummary, ResourceView } from './loop-view.js';
export type { PassView } from './recent-passes.js';
export { CONTENT_SECURITY_POLICY } from './security-headers.js';
export { ALERT_RULE_FILES } from './alert-rules.js';
