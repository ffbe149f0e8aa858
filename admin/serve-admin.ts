/**
 * `serveAdmin`: the admin on its own HTTP server, bound to 127.0.0.1 by default.
 *
 * @module
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkServeOptions } from './admin-options.js';
import type { ServeAdminOptions } from './admin-options.js';
import { adminHandler } from './admin-handler.js';
import { LOOPBACK_HOSTS } from './security-headers.js';

/** A running admin server. */
export interface AdminServer {
  /** Where it listens, e.g. `http://127.0.0.1:39123/`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening, ends open connections (event streams included) and stops following the loops. */
  close(): Promise<void>;
}

/**
 * Serves the admin of `loops` (see `adminHandler`) on its own HTTP server.
 *
 * Use it when the process has no web server of its own, or to keep the admin on loopback while the
 * app listens elsewhere. It binds to `127.0.0.1` unless `host` says otherwise; on a loopback address it
 * answers only to loopback host names (no DNS rebinding) unless `allowedHosts` is given.
 *
 * ## Example
 * ```ts
 * import type { Loop } from 'rx-reconcile';
 * import { serveAdmin } from 'rx-reconcile/admin';
 *
 * declare const loop: Loop;
 * const token = process.env['ADMIN_TOKEN']; // without one the admin is read-only
 * const admin = await serveAdmin({ loops: [loop], port: 9464, ...(token ? { token } : {}) });
 * console.log(`admin at ${admin.url}`); // 127.0.0.1 unless you say otherwise
 * // … on shutdown:
 * await admin.close();
 * ```
 */
export async function serveAdmin(options: ServeAdminOptions): Promise<AdminServer> {
  checkServeOptions(options);
  const { host = '127.0.0.1', port = 0, ...rest } = options;
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
  const handler = adminHandler({
    ...rest,
    ...(rest.allowedHosts === undefined && loopback ? { allowedHosts: [...LOOPBACK_HOSTS, ...(host.startsWith('127.') ? [host] : [])] } : {}),
  });
  // Node checks these timeouts every connectionsCheckingInterval (30 s by default): check each
  // second, so a client that sends its headers or body slowly is cut near the limit, not 30 s later.
  const server = createServer({ connectionsCheckingInterval: 1000 }, handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shown}:${address.port}/`,
    port: address.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        handler.close();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
