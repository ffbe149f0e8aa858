/**
 * The admin's parts on their own: the router (encoded slashes, 404/405/400), token checks, the
 * recent-passes ring (bounded), the admin metrics in a prom-client registry (shared, refused on a
 * name clash, both naming schemes, OpenMetrics), the event stream's limit and teardown, a hanging
 * store and a throwing logger.
 */
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import client from 'prom-client';
import { NEVER } from 'rxjs';
import { Outcome, createMemoryStore } from 'rx-reconcile';
import type { PassResult, Store } from 'rx-reconcile';
import { adminHandler, serveAdmin } from 'rx-reconcile/admin';
import { TokenAuth } from '../../admin/auth.js';
import { HttpError } from '../../admin/http-io.js';
import { RecentPasses } from '../../admin/recent-passes.js';
import { Router } from '../../admin/router.js';
import { crossSite, hostName } from '../../admin/security-headers.js';
import { BROKEN_KEY, HOSTILE_KEY, TOKEN, auth, http, quarantined, startWorld, until } from './fixture.js';

/** prom-client's typings omit the constructor's content-type argument. */
const OpenMetricsRegistry = client.Registry as unknown as new (type: string) => client.Registry<client.OpenMetricsContentType>;

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

function thrown(f: () => unknown): HttpError {
  try {
    f();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('did not throw');
}

describe('router', () => {
  const router = new Router<string>().add('GET', '/api/loops/:loop/keys/:key', 'key').add('POST', '/api/loops/:loop/keys/:key/release', 'release');

  it('decodes each segment on its own: an encoded slash stays in the key', () => {
    expect(router.match('GET', '/api/loops/a%20b/keys/default%2Fmilk?x=1')).toMatchObject({ handler: 'key', params: { loop: 'a b', key: 'default/milk' } });
    expect(router.match('HEAD', '/api/loops/l/keys/k').handler).toBe('key');
  });

  it('any key survives encodeURIComponent → route → decode (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), (key) => {
        expect(router.match('GET', `/api/loops/l/keys/${encodeURIComponent(key)}`).params['key']).toBe(key);
      }),
    );
  });

  it('405 with Allow for another method, 404 for no path, 400 for bad encoding', () => {
    const wrong = thrown(() => router.match('GET', '/api/loops/l/keys/k/release'));
    expect([wrong.status, wrong.headers['Allow']]).toEqual([405, 'POST']);
    expect(thrown(() => router.match('GET', '/api/loops/l/keys/a/b/c')).status).toBe(404);
    expect(thrown(() => router.match('GET', '/api/loops/l/keys/%')).status).toBe(400);
    expect(thrown(() => router.match('GET', '/api/loops/l/keys/%C0%AF')).status).toBe(400);
    expect(thrown(() => router.match('GET', '/api/loops/l/keys/')).status).toBe(404);
  });
});

describe('tokens', () => {
  it('accepts the exact token only, names who sent it, and is off without tokens', () => {
    const auth = new TokenAuth(TOKEN, { ci: 'ci-token-0123456789abcdef' });
    expect(auth.identify(req({ authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true, who: 'admin' });
    expect(auth.identify(req({ authorization: 'bearer ci-token-0123456789abcdef' }))).toEqual({ ok: true, who: 'ci' });
    for (const header of [`Bearer ${TOKEN} `.trimEnd() + 'x', `Bearer ${TOKEN.toUpperCase()}`, 'Bearer', `Token ${TOKEN}`, `Bearer ${TOKEN} extra`, '']) {
      expect(auth.identify(req({ authorization: header })).ok, header).toBe(false);
    }
    expect(auth.identify(req({}))).toEqual({ ok: false, why: 'missing' });
    expect(new TokenAuth(undefined, undefined).identify(req({ authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: false, why: 'read-only' });
  });
});

describe('cross-site and host checks', () => {
  it('same-origin or no browser headers pass; another site, a null origin or a bad Origin do not', () => {
    expect(crossSite(req({ host: '127.0.0.1:8080' }))).toBeUndefined();
    expect(crossSite(req({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
    expect(crossSite(req({ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:8081' }))).toMatch(/not this host/);
    expect(crossSite(req({ host: '127.0.0.1:8080', origin: 'not a url' }))).toMatch(/not a URL/);
    expect(crossSite(req({ host: '127.0.0.1:8080', 'sec-fetch-site': 'cross-site' }))).toMatch(/cross-site/);
    expect(hostName(req({ host: '[::1]:80' }))).toBe('[::1]');
    expect(hostName(req({ host: 'LocalHost:80' }))).toBe('localhost');
  });
});

function pass(key: string, type: 'converged' | 'retry', reason: 'watch' | 'manual' = 'watch', n = 0): PassResult {
  return {
    key,
    reconcileId: `p${n}`,
    request: { key, reason },
    outcome: type === 'converged' ? Outcome.converged() : Outcome.retry(new Error(`e${n}`)),
    failureClass: type === 'retry' ? 'transient' : undefined,
    failures: type === 'retry' ? 1 : 0,
    startedAt: n,
    finishedAt: n + 1,
    nextAttemptAt: undefined,
    parked: undefined,
    aborted: false,
  };
}

describe('recent passes', () => {
  it('keeps the last N passes of the loop, and per key only failing or acted-on keys, bounded', () => {
    const recent = new RecentPasses(3, 2, 2);
    for (let i = 0; i < 5; i++) recent.add(pass(`ok-${i}`, 'converged', 'watch', i));
    expect(recent.latest().map((p) => p.key)).toEqual(['ok-4', 'ok-3', 'ok-2']);
    expect(recent.ofKey('ok-0')).toEqual([]); // converged keys are not tracked, and it left the ring
    for (let i = 0; i < 3; i++) recent.add(pass('bad', 'retry', 'watch', 10 + i));
    expect(recent.ofKey('bad').map((p) => p.reconcileId)).toEqual(['p12', 'p11']);
    recent.add(pass('other', 'retry', 'watch', 20));
    recent.add(pass('third', 'retry', 'watch', 21)); // evicts 'bad' (least recently updated) …
    expect(recent.ofKey('bad').map((p) => p.reconcileId)).toEqual(['p12']); // … which is left in the loop's ring only
    recent.add(pass('fourth', 'converged', 'watch', 22));
    expect(recent.ofKey('bad')).toEqual([]);
    expect(recent.last('third')?.reconcileId).toBe('p21');
    recent.add(pass('other', 'converged', 'watch', 23)); // a tracked key keeps its converged passes
    expect(recent.ofKey('other').map((p) => p.outcome)).toEqual(['converged', 'retry']);
    expect(recent.ofKey('other')[1]).toMatchObject({ error: { message: 'e20', class: 'transient' }, durationMs: 1 });
  });

  it('never holds more than its bounds, whatever the passes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 30 }), fc.boolean(), fc.boolean())), (items) => {
        const recent = new RecentPasses(5, 3, 4);
        items.forEach(([k, ok, manual], i) => recent.add(pass(`k${k}`, ok ? 'converged' : 'retry', manual ? 'manual' : 'watch', i)));
        expect(recent.latest().length).toBeLessThanOrEqual(5);
        const tracked = (recent as unknown as { byKey: Map<string, unknown[]> }).byKey;
        expect(tracked.size).toBeLessThanOrEqual(4);
        for (const list of tracked.values()) expect(list.length).toBeLessThanOrEqual(3);
      }),
    );
  });
});

describe('admin metrics in a prom-client registry', () => {
  it('two handlers on one registry share the metrics; a foreign metric of the same name is refused', async () => {
    const world = await startWorld();
    const other = await startWorld({ name: 'other' });
    try {
      const registry = new client.Registry();
      const a = adminHandler({ loops: [world.loop], registry });
      const b = adminHandler({ loops: [other.loop], registry });
      const text = await registry.metrics();
      expect(text).toContain('reconcile_loop_alive{loop="items"} 1');
      expect(text).toContain('reconcile_loop_alive{loop="other"} 1');
      b.close();
      expect(await registry.metrics()).not.toContain('loop="other"');
      a.close();

      const clash = new client.Registry();
      new client.Gauge({ name: 'reconcile_loop_alive', help: 'mine', registers: [clash] });
      expect(() => adminHandler({ loops: [world.loop], registry: clash })).toThrow(/"reconcile_loop_alive" is already registered/);
      const prefixed = adminHandler({ loops: [world.loop], registry: clash, metricsPrefix: 'shop' });
      expect(await clash.metrics()).toContain('shop_reconcile_loop_alive{loop="items"} 1');
      prefixed.close();
    } finally {
      await world.stop();
      await other.stop();
    }
  });

  it('controller-runtime naming labels by controller; an OpenMetrics registry prints the counter with _total', async () => {
    const world = await startWorld();
    try {
      const registry = new OpenMetricsRegistry(client.Registry.OPENMETRICS_CONTENT_TYPE);
      const server = await serveAdmin({ loops: [world.loop], registry, metricNames: 'controller-runtime', token: TOKEN });
      try {
        await quarantined(world);
        expect((await http(server.url, 'POST', '/api/loops/items/pause', { headers: auth() })).status).toBe(200);
        const r = await http(server.url, 'GET', '/metrics');
        expect(r.headers['content-type']).toBe(client.Registry.OPENMETRICS_CONTENT_TYPE);
        expect(r.text).toContain('rx_reconcile_loop_paused{controller="items"} 1');
        expect(r.text).toContain('rx_reconcile_admin_actions_total{controller="items",action="pause",result="ok"} 1');
        expect(r.text.trimEnd().endsWith('# EOF')).toBe(true);
      } finally {
        await server.close();
      }
    } finally {
      await world.stop();
    }
  });
});

describe('event stream and robustness', () => {
  it('refuses streams past maxEventStreams with 503, and stops its timer when the last one closes', async () => {
    const world = await startWorld();
    const server = await serveAdmin({ loops: [world.loop], maxEventStreams: 1, eventsInterval: 20 });
    const { request } = await import('node:http');
    const url = new URL(server.url);
    try {
      const first = request({ host: url.hostname, port: url.port, path: '/api/events' });
      const res = await new Promise<import('node:http').IncomingMessage>((resolve) => first.on('response', resolve).end());
      expect(res.statusCode).toBe(200);
      const second = await http(server.url, 'GET', '/api/events');
      expect(second.status).toBe(503);
      expect(second.json()).toMatchObject({ error: 'too_many_streams' });
      first.destroy();
      await until(async () => {
        const again = request({ host: url.hostname, port: url.port, path: '/api/events' });
        const r = await new Promise<import('node:http').IncomingMessage>((resolve) => again.on('response', resolve).end());
        again.destroy();
        return r.statusCode === 200;
      });
    } finally {
      await server.close();
      await world.stop();
    }
  });

  it('a store that never answers: the key detail answers after storeTimeout with the store error', async () => {
    const world = await startWorld();
    const hanging: Store = new Proxy(world.store, {
      get: (target, property) => (property === 'get' ? () => new Promise(() => undefined) : (Reflect.get(target, property) as unknown)),
    });
    const loop = { ...world.loop, name: 'hanging', options: { ...world.loop.options, store: hanging } };
    const server = await serveAdmin({ loops: [loop], storeTimeout: 50 });
    try {
      await quarantined(world);
      const r = await http(server.url, 'GET', `/api/loops/hanging/keys/${encodeURIComponent(BROKEN_KEY)}`);
      expect(r.status).toBe(200);
      expect(r.json()).toMatchObject({ state: { state: 'quarantined' }, resource: { found: false, error: 'the store did not answer within 50 ms' } });
    } finally {
      await server.close();
      await world.stop();
    }
  });

  it('a logger that throws on every call does not stop an action', async () => {
    const world = await startWorld();
    const boom = (): never => {
      throw new Error('logger down');
    };
    const logger = { debug: boom, info: boom, warn: boom, error: boom, child: boom };
    const server = await serveAdmin({ loops: [world.loop], token: TOKEN, logger });
    try {
      await quarantined(world);
      world.broken.delete(HOSTILE_KEY);
      expect((await http(server.url, 'POST', `/api/loops/items/keys/${encodeURIComponent(HOSTILE_KEY)}/release`, { headers: auth() })).status).toBe(200);
      expect((await http(server.url, 'POST', '/api/loops/items/pause')).status).toBe(401);
      await until(() => !world.loop.snapshot().parked.some((p) => p.key === HOSTILE_KEY));
    } finally {
      await server.close();
      await world.stop();
    }
  });

  it('a loop that never emits (no results$ traffic) and an empty store still answer', async () => {
    const store = createMemoryStore();
    const world = await startWorld();
    const idle = { ...world.loop, name: 'idle', results$: NEVER, options: { ...world.loop.options, store } };
    const server = await serveAdmin({ loops: [idle] });
    try {
      expect((await http(server.url, 'GET', '/api/loops/idle')).json()).toMatchObject({ loop: { name: 'idle' }, passes: [] });
      expect((await http(server.url, 'GET', '/api/loops/idle/keys/nothing')).status).toBe(404);
    } finally {
      await server.close();
      await world.stop();
    }
  });
});

describe('stream loops', () => {
  it('a loop over desired$ streams is shown (mode streams, no kind) and its key detail says there is no store', async () => {
    const { defineLoop } = await import('rx-reconcile');
    const { BehaviorSubject } = await import('rxjs');
    const loop = defineLoop({ name: 'mirror', desired$: new BehaviorSubject(new Map([['web', { replicas: 2 }]])), reconcile: () => undefined });
    const server = await serveAdmin({ loops: [loop] });
    try {
      await until(() => loop.snapshot().counters.converged === 1, 10_000, `a converged pass (health: ${JSON.stringify(loop.health())})`);
      const loops = (await http(server.url, 'GET', '/api/loops')).json<{ loops: { name: string; kind: string | null; mode: string }[] }>();
      expect(loops.loops[0]).toMatchObject({ name: 'mirror', kind: null, mode: 'streams' });
      const key = (await http(server.url, 'GET', '/api/loops/mirror/keys/web')).json();
      expect(key).toMatchObject({ key: 'web', passes: [{ outcome: 'converged' }], resource: { found: false, error: expect.stringMatching(/stream loop/) } });
    } finally {
      await server.close();
      await loop.stop();
    }
  });
});
