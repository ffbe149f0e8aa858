/**
 * The headers every admin response carries (content type, `nosniff`, a strict CSP…) and the checks
 * that refuse cross-site mutations and unexpected `Host` names.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The page's Content-Security-Policy: scripts, styles and requests only from the admin itself, no
 * inline script or style, no plugins, no framing, no forms, no `<base>`.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The security headers of every answer (besides `Content-Type`), as name/value pairs. */
export const SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Content-Security-Policy', CONTENT_SECURITY_POLICY],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cache-Control', 'no-store'],
];

/** The same, flat (`[name, value, name, value, …]`), as `res.writeHead` takes them. */
export const FLAT_SECURITY_HEADERS: readonly string[] = SECURITY_HEADERS.flat();

/** Sets the security headers and the content type on `res` (before anything is written). */
export function setSecurityHeaders(res: ServerResponse, contentType: string): void {
  res.setHeader('Content-Type', contentType);
  for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
}

/**
 * Why `req` is a cross-site request (to be refused for mutations), or undefined when it is not.
 *
 * A browser says where a request comes from: `Sec-Fetch-Site` (modern browsers) must be
 * `same-origin` or `none` (typed by the user); `Origin`, when present, must name this host. A request
 * without both (curl, scripts) is not a browser's cross-site request.
 */
export function crossSite(req: IncomingMessage): string | undefined {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const origin = header(req, 'origin');
  if (origin === undefined) return undefined;
  if (origin === 'null') return 'Origin is null';
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return 'Origin is not a URL';
  }
  const own = header(req, 'host');
  if (own === undefined || host.toLowerCase() !== own.toLowerCase()) return `Origin ${origin} is not this host`;
  return undefined;
}

/** The host name of `req`'s `Host` header, without port, lower-cased ('' when absent). */
export function hostName(req: IncomingMessage): string {
  const host = (header(req, 'host') ?? '').toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Host names that mean this machine. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '[::1]'];

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
