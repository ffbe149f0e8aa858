/**
 * A tiny router: routes are `METHOD /path/:param` patterns; each path segment is URL-decoded on its
 * own, so an encoded `/` (`%2F`) stays inside its parameter (`namespace%2Fname` → `namespace/name`).
 *
 * @module
 */
import { HttpError } from './http-io.js';

/** A matched route: its handler and decoded parameters. */
export interface Match<H> {
  readonly handler: H;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

interface Route<H> {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: H;
}

/** Routes requests to handlers by method and path. */
export class Router<H> {
  private readonly routes: Route<H>[] = [];

  /** Adds a route, e.g. `add('POST', '/api/loops/:loop/pause', handler)`. `GET` routes answer `HEAD` too. */
  add(method: string, pattern: string, handler: H): this {
    this.routes.push({ method, segments: split(pattern), handler });
    return this;
  }

  /**
   * Finds the route of `method` and `url` (path and query, without any mount prefix).
   * @throws HttpError 400 on bad URL encoding, 404 when no path matches, 405 (with `Allow`) when the
   *   path matches for other methods only.
   */
  match(method: string, url: string): Match<H> {
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    let query: URLSearchParams;
    try {
      query = new URLSearchParams(q === -1 ? '' : decodeQuery(url.slice(q + 1)));
    } catch {
      throw new HttpError(400, 'bad_url', 'the query string is not valid URL encoding');
    }
    const raw = split(rawPath);
    const segments: string[] = [];
    for (const segment of raw) {
      try {
        segments.push(decodeURIComponent(segment));
      } catch {
        throw new HttpError(400, 'bad_url', 'the path is not valid URL encoding (encode a key with encodeURIComponent)');
      }
    }
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === undefined) continue;
      const methods = route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
      if (methods.includes(method)) return { handler: route.handler, params, query };
      for (const m of methods) allowed.add(m);
    }
    if (allowed.size > 0) {
      throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here; use ${[...allowed].join(' or ')}`, { Allow: [...allowed].join(', ') });
    }
    throw new HttpError(404, 'not_found', `no such endpoint: ${rawPath.slice(0, 200)} (keys go in one path segment: encode "/" as %2F)`);
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s, i) => i > 0 || s !== '');
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith(':')) {
      if (s === '') return undefined;
      params[p.slice(1)] = s;
    } else if (p !== s) return undefined;
  }
  return params;
}

/** Checks the query's percent-encoding (URLSearchParams alone accepts anything). */
function decodeQuery(query: string): string {
  for (const part of query.split('&')) decodeURIComponent(part.replace(/\+/g, ' '));
  return query;
}
