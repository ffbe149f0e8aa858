/**
 * Bearer-token authentication of admin actions: constant-time comparison, optional named tokens.
 *
 * @module
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Who made a request: the token's name, or why nobody is recognised. */
export type Caller = { readonly ok: true; readonly who: string } | { readonly ok: false; readonly why: 'missing' | 'invalid' | 'read-only' };

/**
 * Checks `Authorization: Bearer <token>` against the configured tokens.
 *
 * Each token is compared through its SHA-256 digest with `timingSafeEqual`, so neither the length
 * nor the content of a configured token leaks through timing; every configured token is compared
 * (no early exit), so which one matched does not leak either.
 */
export class TokenAuth {
  private readonly digests: readonly { readonly who: string; readonly digest: Buffer }[];

  constructor(token: string | undefined, tokens: Readonly<Record<string, string>> | undefined) {
    const list: { who: string; digest: Buffer }[] = [];
    if (token !== undefined) list.push({ who: 'admin', digest: digest(token) });
    for (const [who, value] of Object.entries(tokens ?? {})) list.push({ who, digest: digest(value) });
    this.digests = list;
  }

  /** False when no token is configured: the admin is read-only. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** Who sent `req`, from its `Authorization` header. */
  identify(req: IncomingMessage): Caller {
    if (!this.enabled) return { ok: false, why: 'read-only' };
    const header = req.headers.authorization;
    if (typeof header !== 'string') return { ok: false, why: 'missing' };
    const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
    if (match === null) return { ok: false, why: 'missing' };
    const given = digest(match[1] as string);
    let who: string | undefined;
    for (const entry of this.digests) {
      if (timingSafeEqual(given, entry.digest) && who === undefined) who = entry.who;
    }
    return who === undefined ? { ok: false, why: 'invalid' } : { ok: true, who };
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
