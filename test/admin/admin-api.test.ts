/**
 * The admin HTTP API against a real server on 127.0.0.1 (port 0) and a real loop: every endpoint,
 * the refusals (401, 403, 404, 400, 405, 409, 413, 415), read-only mode, cross-site refusal, a
 * hostile key round-tripping, actions logged and counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request as httpRequestRaw } from 'node:http';
import type { AddressInfo } from 'node:net';
import client from 'prom-client';
import { EMPTY, Observable } from 'rxjs';
import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import { prometheusMetrics } from 'rx-reconcile/prometheus';
import type { Logger, PassResult } from 'rx-reconcile';
import type { LogFields } from '../../src/ports.js';
import { adminHandler, serveAdmin } from 'rx-reconcile/admin';
import { CONTENT_SECURITY_POLICY } from '../../admin/security-headers.js';
import type { AdminServer } from 'rx-reconcile/admin';
import type { AdminLoop } from '../../admin/admin-options.js';
import { BROKEN_KEY, HOSTILE, HOSTILE_KEY, TOKEN, auth, http, quarantined, startWorld, until } from './fixture.js';
import type { World } from './fixture.js';

interface Line {
  level: string;
  fields: LogFields;
  message: string;
}
function capturingLogger(lines: Line[]): Logger {
  const make = (bindings: LogFields): Logger => ({
    debug: (fields, message) => lines.push({ level: 'debug', fields: { ...bindings, ...fields }, message }),
    info: (fields, message) => lines.push({ level: 'info', fields: { ...bindings, ...fields }, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields: { ...bindings, ...fields }, message }),
    error: (fields, message) => lines.push({ level: 'error', fields: { ...bindings, ...fields }, message }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return make({});
}

const enc = encodeURIComponent;

describe('admin API on a real server', () => {
  let world: World;
  let server: AdminServer;
  let base: string;
  const registry = new client.Registry();
  const lines: Line[] = [];

  beforeAll(async () => {
    world = await startWorld({ metrics: prometheusMetrics({ client, registry }) });
    server = await serveAdmin({ loops: [world.loop], tokens: { alice: TOKEN, bob: 'bob-token-0123456789abcd' }, registry, logger: capturingLogger(lines), snapshotMaxAge: 0 });
    base = server.url;
    await quarantined(world);
  });
  afterAll(async () => {
    await server.close();
    await world.stop();
  });

  it('binds to 127.0.0.1 by default and sets the security headers on every answer', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const path of ['/', '/assets/admin.js', '/assets/admin.css', '/api/loops', '/healthz', '/nope', '/api/loops/nope']) {
      const r = await http(base, 'GET', path);
      expect(r.headers['x-content-type-options'], path).toBe('nosniff');
      expect(r.headers['content-security-policy'], path).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers['content-type'], path).toBeTruthy();
    }
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe');
  });

  it('GET /describe serves the loops’ design document (issue 18) as a page without script, in English or Chinese, and as Markdown', async () => {
    const page = await http(base, 'GET', '/describe');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(page.text).toContain('items');
    expect(page.text).not.toMatch(/<script/i);
    expect(page.text).toMatch(/quarantin/i); // live figures: the quarantined keys are counted
    const zh = await http(base, 'GET', '/describe?lang=zh');
    expect(zh.text).toContain('闭环');
    const md = await http(base, 'GET', '/describe.md');
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.text).toMatch(/^# /);
    expect(md.text).toContain('`items`');
    expect((await http(base, 'GET', '/describe?lang=fr')).status).toBe(400);
    expect((await http(base, 'GET', '/')).text).toContain('href="describe"');
  });

  it('GET / serves the page, its script and style as files of the package', async () => {
    const page = await http(base, 'GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script src="assets/admin.js" defer></script>');
    expect((await http(base, 'GET', '/assets/admin.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await http(base, 'GET', '/assets/admin.css')).headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await http(base, 'HEAD', '/api/loops');
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('GET /api/loops: each loop with kind, workers, depth, in flight, counters, health, and whether actions are on', async () => {
    const r = await http(base, 'GET', '/api/loops');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = r.json<{ readOnly: boolean; loops: Record<string, unknown>[] }>();
    expect(body.readOnly).toBe(false);
    expect(body.loops).toHaveLength(1);
    expect(body.loops[0]).toMatchObject({
      name: 'items',
      kind: 'Item',
      style: 'reconcile',
      workers: 2,
      depth: 0,
      inFlight: 0,
      quarantined: 2,
      paused: false,
      health: { alive: true, ready: true, paused: false, state: 'running' },
      counters: { quarantined: 2 },
    });
  });

  it('GET /api/loops/:loop gives one loop and its last passes', async () => {
    const r = await http(base, 'GET', '/api/loops/items');
    expect(r.status).toBe(200);
    const body = r.json<{ loop: { name: string }; passes: { key: string; outcome: string }[] }>();
    expect(body.loop.name).toBe('items');
    expect(body.passes.some((p) => p.key === BROKEN_KEY && p.outcome === 'retry')).toBe(true);
  });

  it('GET keys?state=quarantined lists stuck keys with attempts, last error (message, class) and last outcome; the hostile key comes back as it is', async () => {
    const r = await http(base, 'GET', '/api/loops/items/keys?state=quarantined');
    expect(r.status).toBe(200);
    const body = r.json<{ total: number; keys: { key: string; state: string; attempts: number; lastError: { message: string; class: string }; lastOutcome: string }[] }>();
    expect(body.total).toBe(2);
    const keys = body.keys.map((k) => k.key).sort();
    expect(keys).toEqual([HOSTILE_KEY, BROKEN_KEY].sort());
    const broken = body.keys.find((k) => k.key === BROKEN_KEY);
    expect(broken).toMatchObject({ state: 'quarantined', attempts: 3, lastError: { message: `disk full while writing ${BROKEN_KEY}`, class: 'transient' }, lastOutcome: 'retry' });
    const one = (await http(base, 'GET', '/api/loops/items/keys?state=parked&limit=1')).json<{ total: number; keys: unknown[] }>();
    expect([one.total, one.keys.length]).toEqual([2, 1]);
    expect((await http(base, 'GET', '/api/loops/items/keys?state=backoff')).json<{ total: number }>().total).toBe(0);
    expect((await http(base, 'GET', '/api/loops/items/keys')).json<{ total: number }>().total).toBe(2);
    const queued = (await http(base, 'GET', '/api/loops/items/keys?state=queued')).json<{ listed: boolean; notice: string }>();
    expect(queued.listed).toBe(false);
    expect(queued.notice).toMatch(/does not list/);
  });

  it('GET keys/:key (URL-encoded namespace/name) gives the key, its recent passes and its conditions', async () => {
    const r = await http(base, 'GET', `/api/loops/items/keys/${enc(BROKEN_KEY)}`);
    expect(r.status).toBe(200);
    const body = r.json<{
      key: string;
      state: { state: string; attempts: number };
      passes: { outcome: string; reason: string; durationMs: number; error: { message: string; class: string } }[];
      resource: { found: boolean; conditions: { type: string; status: string; reason: string }[] };
    }>();
    expect(body.key).toBe(BROKEN_KEY);
    expect(body.state).toMatchObject({ state: 'quarantined', attempts: 3 });
    expect(body.passes.length).toBeGreaterThanOrEqual(3);
    expect(body.passes[0]).toMatchObject({ outcome: 'retry', error: { class: 'transient' } });
    expect(body.passes[0]?.durationMs).toBeGreaterThanOrEqual(0);
    expect(body.resource.found).toBe(true);
    expect(body.resource.conditions).toContainEqual(expect.objectContaining({ type: 'Degraded', status: 'True', reason: 'Quarantined' }));
  });

  it('a key named <img src=x onerror=alert(1)> round-trips through the URL and comes back as JSON text', async () => {
    const r = await http(base, 'GET', `/api/loops/items/keys/${enc(HOSTILE_KEY)}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = r.json<{ key: string; state: { lastError: { message: string } } }>();
    expect(body.key).toBe(HOSTILE_KEY);
    expect(body.state.lastError.message).toContain(HOSTILE);
  });

  it('GET /healthz and /readyz are 200 while the loop runs and is listed', async () => {
    const h = await http(base, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expect(h.json()).toMatchObject({ status: 'ok', loops: [{ name: 'items', alive: true }] });
    expect((await http(base, 'GET', '/readyz')).status).toBe(200);
  });

  it('GET /metrics serves the registry: the loops\' metrics, loop health gauges and the admin action counter', async () => {
    const r = await http(base, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(registry.contentType);
    expect(r.text).toMatch(/reconcile_total\{loop="items",result="retry"\} [1-9]/);
    expect(r.text).toContain('reconcile_loop_alive{loop="items"} 1');
    expect(r.text).toContain('reconcile_loop_ready{loop="items"} 1');
    expect(r.text).toContain('reconcile_loop_paused{loop="items"} 0');
    expect(r.text).toContain('# TYPE reconcile_admin_actions_total counter');
  });

  it('POST without a token is 401 (with WWW-Authenticate), with a wrong token 401, and neither acts', async () => {
    const before = world.loop.snapshot().counters.released;
    const none = await http(base, 'POST', `/api/loops/items/keys/${enc(BROKEN_KEY)}/release`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json()).toMatchObject({ error: 'unauthorized' });
    const wrong = await http(base, 'POST', `/api/loops/items/keys/${enc(BROKEN_KEY)}/release`, { headers: auth(`${TOKEN}x`) });
    expect(wrong.status).toBe(401);
    const prefix = await http(base, 'POST', `/api/loops/items/keys/${enc(BROKEN_KEY)}/release`, { headers: auth(TOKEN.slice(0, -1)) });
    expect(prefix.status).toBe(401);
    const basic = await http(base, 'POST', `/api/loops/items/keys/${enc(BROKEN_KEY)}/release`, { headers: { Authorization: `Basic ${TOKEN}` } });
    expect(basic.status).toBe(401);
    expect(world.loop.snapshot().counters.released).toBe(before);
    expect(lines.some((l) => l.message === 'Admin action denied' && l.fields['key'] === BROKEN_KEY)).toBe(true);
  });

  it('refuses cross-site actions (Origin of another site, Sec-Fetch-Site: cross-site) even with the token', async () => {
    const path = `/api/loops/items/keys/${enc(BROKEN_KEY)}/release`;
    const origin = await http(base, 'POST', path, { headers: { ...auth(), Origin: 'http://evil.example' } });
    expect(origin.status).toBe(403);
    expect(origin.json()).toMatchObject({ error: 'cross_site' });
    const site = await http(base, 'POST', path, { headers: { ...auth(), 'Sec-Fetch-Site': 'cross-site' } });
    expect(site.status).toBe(403);
    const sameSite = await http(base, 'POST', path, { headers: { ...auth(), 'Sec-Fetch-Site': 'same-site' } });
    expect(sameSite.status).toBe(403);
    const nullOrigin = await http(base, 'POST', path, { headers: { ...auth(), Origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    expect(world.loop.snapshot().parked.some((p) => p.key === BROKEN_KEY)).toBe(true);
  });

  it('refuses a Host that is not loopback (DNS rebinding) with 421', async () => {
    const r = await http(base, 'GET', '/api/loops', { headers: { Host: 'evil.example' } });
    expect(r.status).toBe(421);
    expect((await http(base, 'GET', '/api/loops', { headers: { Host: 'localhost' } })).status).toBe(200);
  });

  it('malformed requests: bad URL encoding 400, wrong method 405 with Allow, bad JSON 400, wrong content type 415, too large 413', async () => {
    const bad = await http(base, 'GET', '/api/loops/items/keys/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'bad_url' });
    expect((await http(base, 'GET', '/api/loops/items/keys?state=%ZZ')).status).toBe(400);
    expect((await http(base, 'GET', '/api/loops/items/keys?state=sleeping')).status).toBe(400);
    expect((await http(base, 'GET', '/api/loops/items/keys?limit=0')).status).toBe(400);
    expect((await http(base, 'GET', '/api/loops/items/keys?limit=1e3')).status).toBe(400);

    const get = await http(base, 'GET', '/api/loops/items/pause');
    expect(get.status).toBe(405);
    expect(get.headers['allow']).toBe('POST');
    const del = await http(base, 'DELETE', '/api/loops');
    expect(del.status).toBe(405);
    expect(del.headers['allow']).toBe('GET, HEAD');
    expect((await http(base, 'PUT', `/api/loops/items/keys/${enc(BROKEN_KEY)}/trigger`, { headers: auth() })).status).toBe(405);
    expect((await http(base, 'OPTIONS', '/api/loops/items/pause')).status).toBe(405);

    const path = `/api/loops/items/keys/${enc(BROKEN_KEY)}/trigger`;
    const json = { ...auth(), 'Content-Type': 'application/json' };
    expect((await http(base, 'POST', path, { headers: json, body: '{"reason":' })).json()).toMatchObject({ error: 'bad_json' });
    expect((await http(base, 'POST', path, { headers: json, body: '[1]' })).status).toBe(400);
    expect((await http(base, 'POST', path, { headers: json, body: '{"__proto__":{"x":1}}' })).status).toBe(400);
    expect((await http(base, 'POST', path, { headers: json, body: '{"reason":5}' })).status).toBe(400);
    expect((await http(base, 'POST', path, { headers: { ...auth(), 'Content-Type': 'text/plain' }, body: 'hi' })).status).toBe(415);
    const big = await http(base, 'POST', path, { headers: json, body: JSON.stringify({ reason: 'x'.repeat(20_000) }) });
    expect(big.status).toBe(413);
    expect(big.json()).toMatchObject({ error: 'body_too_large' });
  });

  it('a body sent in chunks without Content-Length is cut at the limit (413)', async () => {
    const url = new URL(base);
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/api/loops/items/pause', headers: { ...auth(), 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(`{"reason":"${'y'.repeat(10_000)}`);
      req.write(`${'y'.repeat(10_000)}"}`);
      req.end();
    });
    expect(status).toBe(413);
    expect(world.loop.health().paused).toBe(false);
  });

  it('unknown loop, key or path: 404 JSON with a message', async () => {
    const loop = await http(base, 'GET', '/api/loops/nope/keys');
    expect(loop.status).toBe(404);
    expect(loop.json()).toMatchObject({ error: 'unknown_loop', message: expect.stringContaining('items') });
    const key = await http(base, 'GET', `/api/loops/items/keys/${enc('default/nope')}`);
    expect(key.status).toBe(404);
    expect(key.json()).toMatchObject({ error: 'unknown_key' });
    expect((await http(base, 'POST', `/api/loops/items/keys/${enc('default/nope')}/trigger`, { headers: auth() })).status).toBe(404);
    expect((await http(base, 'POST', `/api/loops/nope/pause`, { headers: auth() })).status).toBe(404);
    const raw = await http(base, 'GET', '/api/loops/items/keys/default/broken');
    expect(raw.status).toBe(404);
    expect(raw.json<{ message: string }>().message).toMatch(/%2F/);
  });

  it('release with the token: 200, logged with the token\'s name, counted; once fixed the key converges', async () => {
    world.broken.delete(BROKEN_KEY);
    const r = await http(base, 'POST', `/api/loops/items/keys/${enc(BROKEN_KEY)}/release`, {
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'disk replaced' }),
    });
    expect(r.status).toBe(200);
    expect(r.json()).toMatchObject({ ok: true, action: 'release', loop: 'items', key: BROKEN_KEY, by: 'alice' });
    await until(async () => {
      const k = await http(base, 'GET', `/api/loops/items/keys/${enc(BROKEN_KEY)}`);
      return k.json<{ passes: { outcome: string }[] }>().passes[0]?.outcome === 'converged';
    });
    const detail = (await http(base, 'GET', `/api/loops/items/keys/${enc(BROKEN_KEY)}`)).json<{ state: { state: string }; passes: { reason: string; outcome: string }[] }>();
    expect(detail.state.state).toBe('idle');
    expect(detail.passes[0]).toMatchObject({ reason: 'manual', outcome: 'converged' });
    const line = lines.find((l) => l.message === 'Admin action' && l.fields['action'] === 'release');
    expect(line?.fields).toMatchObject({ who: 'alice', action: 'release', loop: 'items', key: BROKEN_KEY, reason: 'disk replaced', result: 'ok', component: 'admin' });
    const loops = (await http(base, 'GET', '/api/loops')).json<{ loops: { actions: Record<string, number> }[] }>();
    expect(loops.loops[0]?.actions.release).toBe(1);
    const metrics = await registry.metrics();
    expect(metrics).toContain('reconcile_admin_actions_total{loop="items",action="release",result="ok"} 1');
    expect(metrics).toMatch(/reconcile_admin_actions_total\{loop="items",action="release",result="denied"\} [1-9]/);
  });

  it('release of a key that is not parked is 409 and says to use trigger; trigger runs it (by bob)', async () => {
    const r = await http(base, 'POST', `/api/loops/items/keys/${enc('default/milk')}/release`, { headers: auth() });
    expect(r.status).toBe(409);
    expect(r.json<{ message: string }>().message).toMatch(/use trigger/);
    const passes = world.loop.snapshot().counters.passes;
    const t = await http(base, 'POST', `/api/loops/items/keys/${enc('default/milk')}/trigger`, { headers: auth('bob-token-0123456789abcd') });
    expect(t.status).toBe(200);
    expect(t.json()).toMatchObject({ by: 'bob' });
    await until(() => world.loop.snapshot().counters.passes > passes);
    expect(lines.some((l) => l.message === 'Admin action' && l.fields['who'] === 'bob' && l.fields['key'] === 'default/milk')).toBe(true);
  });

  it('pause: no new passes, visible in /api/loops, /metrics and health; resume runs what was triggered meanwhile', async () => {
    expect((await http(base, 'POST', '/api/loops/items/pause', { headers: auth() })).status).toBe(200);
    const paused = (await http(base, 'GET', '/api/loops')).json<{ loops: { paused: boolean; health: { paused: boolean } }[] }>();
    expect(paused.loops[0]).toMatchObject({ paused: true, health: { paused: true } });
    expect(await registry.metrics()).toContain('reconcile_loop_paused{loop="items"} 1');
    const passes = world.loop.snapshot().counters.passes;
    expect((await http(base, 'POST', `/api/loops/items/keys/${enc('default/bread')}/trigger`, { headers: auth() })).status).toBe(200);
    await until(() => world.loop.snapshot().depth === 1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(world.loop.snapshot().counters.passes).toBe(passes);
    expect((await http(base, 'POST', '/api/loops/items/resume', { headers: auth() })).status).toBe(200);
    await until(() => world.loop.snapshot().counters.passes > passes);
    expect(world.loop.health().paused).toBe(false);
  });

  it('GET /api/events streams the loops first, then a loop whose state changed', async () => {
    const url = new URL(base);
    const { request } = await import('node:http');
    const events: { event: string; data: unknown }[] = [];
    let buffer = '';
    const req = request({ host: url.hostname, port: url.port, path: '/api/events', headers: { Accept: 'text/event-stream' } });
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      }
    });
    await until(() => events.length >= 1);
    expect(events[0]).toMatchObject({ event: 'loops', data: { loops: [{ name: 'items' }] } });
    expect((await http(base, 'POST', '/api/loops/items/pause', { headers: auth() })).status).toBe(200);
    await until(() => events.some((e) => e.event === 'loop' && (e.data as { paused: boolean }).paused));
    expect((await http(base, 'POST', '/api/loops/items/resume', { headers: auth() })).status).toBe(200);
    await until(() => events.some((e, i) => i > 1 && e.event === 'loop' && !(e.data as { paused: boolean }).paused));
    req.destroy();
  });
});

describe('admin without a token', () => {
  it('is read-only: says so in /api/loops, and refuses every action with 403 even with an Authorization header', async () => {
    const world = await startWorld();
    const server = await serveAdmin({ loops: [world.loop] });
    try {
      await quarantined(world);
      const loops = (await http(server.url, 'GET', '/api/loops')).json<{ readOnly: boolean; notice: string }>();
      expect(loops.readOnly).toBe(true);
      expect(loops.notice).toMatch(/read-only/);
      for (const path of [`/api/loops/items/keys/${enc(BROKEN_KEY)}/release`, `/api/loops/items/keys/${enc(BROKEN_KEY)}/trigger`, '/api/loops/items/pause', '/api/loops/items/resume']) {
        const r = await http(server.url, 'POST', path, { headers: auth() });
        expect(r.status, path).toBe(403);
        expect(r.json(), path).toMatchObject({ error: 'read_only' });
      }
      expect(world.loop.snapshot().parked).toHaveLength(2);
      const metrics = await http(server.url, 'GET', '/metrics');
      expect(metrics.status).toBe(404);
      expect(metrics.json<{ message: string }>().message).toMatch(/pass registry/);
    } finally {
      await server.close();
      await world.stop();
    }
  });
});

describe('adminHandler options', () => {
  it('refuses unknown keys, short tokens, duplicate loop names and bad numbers, naming the option', async () => {
    const world = await startWorld();
    try {
      const loops = [world.loop];
      expect(() => adminHandler({ loops, tokn: TOKEN } as never)).toThrow(/unknown option "tokn": did you mean "token"\?/);
      expect(() => adminHandler({ loops, token: 'short' })).toThrow(/token must be at least 16 characters/);
      expect(() => adminHandler({ loops: [] })).toThrow(/loops must hold at least one loop/);
      expect(() => adminHandler({ loops: [world.loop, world.loop] })).toThrow(/two loops are named "items"/);
      expect(() => adminHandler({ loops, maxBodyBytes: -1 })).toThrow(/maxBodyBytes/);
      expect(() => adminHandler({ loops, eventsInterval: Number.NaN })).toThrow(/eventsInterval/);
      expect(() => adminHandler({ loops, snapshotMaxAge: Number.POSITIVE_INFINITY })).toThrow(/snapshotMaxAge/);
      expect(() => adminHandler({ loops, recentPasses: 2 ** 31 })).toThrow(/recentPasses/);
      expect(() => adminHandler({ loops, basePath: 'admin' })).toThrow(/basePath/);
      expect(() => adminHandler({ loops, tokens: { 'a b': TOKEN } })).toThrow(/tokens/);
      await expect(serveAdmin({ loops, prot: 1 } as never)).rejects.toThrow(/unknown option "prot": did you mean "port"\?/);
    } finally {
      await world.stop();
    }
  });

  it('refuses options that could never work: tokens no Authorization header can carry, no tokens, no hosts, no stream, paths that leave the prefix', async () => {
    const world = await startWorld();
    try {
      const loops = [world.loop];
      for (const bad of [`${TOKEN}\n`, 'correct horse battery staple', ` ${TOKEN}`, `${TOKEN}\t`, 'ünïcödé-token-0123456789']) {
        expect(() => adminHandler({ loops, token: bad }), JSON.stringify(bad)).toThrow(/token must hold visible ASCII characters only/);
        expect(() => adminHandler({ loops, tokens: { alice: bad } }), JSON.stringify(bad)).toThrow(/tokens\.alice must hold visible ASCII/);
      }
      expect(() => adminHandler({ loops, tokens: {} })).toThrow(/tokens must name at least one token/);
      expect(() => adminHandler({ loops, allowedHosts: [] })).toThrow(/allowedHosts must name at least one host/);
      expect(() => adminHandler({ loops, maxEventStreams: 0 })).toThrow(/maxEventStreams/);
      for (const basePath of ['//evil', '/a/../b', '/a/./b', '/a?x', '/a#b', '/a b', '/a\nb', '/a/']) {
        expect(() => adminHandler({ loops, basePath }), basePath).toThrow(/basePath/);
      }
      expect(() => adminHandler({ loops, basePath: '/ops/.admin-1' })).not.toThrow();
    } finally {
      await world.stop();
    }
  });
});

describe('admin API: streams, store failures, long errors, close', () => {
  it('refuses a cross-site event stream with 403 without using a slot; HEAD answers without holding one', async () => {
    const world = await startWorld();
    const server = await serveAdmin({ loops: [world.loop], token: TOKEN, maxEventStreams: 1 });
    try {
      for (const site of ['cross-site', 'same-site']) {
        const refused = await http(server.url, 'GET', '/api/events', { headers: { 'Sec-Fetch-Site': site } });
        expect(refused.status).toBe(403);
        expect(refused.json()['error']).toBe('cross_site');
      }
      const head = await http(server.url, 'HEAD', '/api/events');
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
      // The one slot is still free: a same-origin stream opens.
      const opened = await new Promise<number>((resolve, reject) => {
        const url = new URL(server.url);
        const req = httpRequestRaw({ host: url.hostname, port: url.port, path: '/api/events', headers: { 'Sec-Fetch-Site': 'same-origin' } }, (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        });
        req.on('error', reject);
        req.end();
      });
      expect(opened).toBe(200);
    } finally {
      await server.close();
      await world.stop();
    }
  });

  it('a key the store cannot read is not "unknown": GET answers with the store\'s error, trigger is not refused', async () => {
    const world = await startWorld();
    await quarantined(world);
    let failing = false;
    const store = world.store;
    const get = store.get.bind(store);
    (store as { get: typeof store.get }).get = (kind, key) => (failing ? Promise.reject(new Error('database is locked')) : get(kind, key));
    const server = await serveAdmin({ loops: [world.loop], token: TOKEN, recentPasses: 1 });
    try {
      failing = true;
      // A key with no pass in the admin's ring and not in the queue: only the store could say.
      const key = encodeURIComponent('default/milk');
      const read = await http(server.url, 'GET', `/api/loops/items/keys/${key}`);
      expect(read.status).toBe(200);
      expect(read.json<{ resource: { found: boolean; error: string } }>().resource).toEqual({ found: false, error: 'database is locked' });
      const trigger = await http(server.url, 'POST', `/api/loops/items/keys/${key}/trigger`, { headers: auth() });
      expect(trigger.status).toBe(200);
      // A loop on a working store still says 404 for a key nobody knows.
      failing = false;
      const unknown = await http(server.url, 'GET', `/api/loops/items/keys/${encodeURIComponent('default/nobody')}`);
      expect(unknown.status).toBe(404);
    } finally {
      await server.close();
      await world.stop();
    }
  });

  it('cuts error messages to 2,000 characters in keys and passes (a 1 MB error made every answer 1 MB)', async () => {
    const world = await startWorld();
    world.broken.clear();
    const store = world.store;
    const server = await serveAdmin({ loops: [world.loop], token: TOKEN });
    try {
      // The fixture's error names the key: a 5,000-character key makes a 5,000-character error.
      const name = 'x'.repeat(5000);
      const longKey = `default/${name}`;
      await store.create('Item', { metadata: { namespace: 'default', name }, spec: { title: 'long' } });
      world.broken.add(longKey);
      world.loop.trigger(longKey);
      await until(() => world.loop.snapshot().parked.some((p) => p.key === longKey), 10_000, 'quarantine of the long key');
      const keys = await http(server.url, 'GET', '/api/loops/items/keys?state=quarantined');
      const entry = keys.json<{ keys: { key: string; lastError: { message: string } }[] }>().keys.find((k) => k.key === longKey);
      expect(entry?.lastError.message.length).toBeLessThan(2100);
      expect(entry?.lastError.message).toMatch(/… \(\d+ more characters; see the server log\)$/);
      const loop = await http(server.url, 'GET', '/api/loops/items');
      for (const pass of loop.json<{ passes: { error?: { message: string } }[] }>().passes) expect((pass.error?.message ?? '').length).toBeLessThan(2100);
    } finally {
      await server.close();
      await world.stop();
    }
  });

  it('a closed handler answers 503 and opens no stream', async () => {
    const world = await startWorld();
    const handler = adminHandler({ loops: [world.loop] });
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      expect((await http(base, 'GET', '/api/loops')).status).toBe(200);
      handler.close();
      for (const path of ['/api/loops', '/api/events', '/']) {
        const reply = await http(base, 'GET', path);
        expect(reply.status, path).toBe(503);
        expect(reply.json()['error']).toBe('admin_closed');
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await world.stop();
    }
  });
});

describe('the design document\'s live figures', () => {
  it('regression: the admin starts recording time to converge only when the design document is first asked for (a recorder per admin cost every drain a record per key: benchmark 30)', async () => {
    const world = await startWorld();
    let subscribed = 0;
    const loop = world.loop;
    const counted: AdminLoop = {
      name: loop.name,
      options: loop.options,
      results$: new Observable<PassResult>((subscriber) => {
        subscribed += 1;
        return loop.results$.subscribe(subscriber);
      }),
      snapshot: () => loop.snapshot(),
      health: () => loop.health(),
      trigger: (key) => loop.trigger(key),
      release: (key) => loop.release(key),
      pause: () => loop.pause(),
      resume: () => loop.resume(),
    };
    const admin = await serveAdmin({ loops: [counted] });
    try {
      expect((await http(admin.url, 'GET', '/api/loops')).status).toBe(200);
      const before = subscribed; // the recent-passes view
      expect((await http(admin.url, 'GET', '/describe')).status).toBe(200);
      expect(subscribed).toBe(before + 1);
      expect((await http(admin.url, 'GET', '/describe.md')).status).toBe(200);
      expect(subscribed).toBe(before + 1); // one recorder, started once
    } finally {
      await admin.close();
      await world.stop();
    }
  });
});

describe('adminHandler mounted in a server of its own', () => {
  it('serves under basePath, passes unknown paths to next (Express style), and redirects the bare prefix', async () => {
    const world = await startWorld();
    const admin = adminHandler({ loops: [world.loop], basePath: '/admin' });
    const server = createServer((req, res) => {
      admin(req, res, () => {
        res.statusCode = 418;
        res.end('app');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      expect((await http(base, 'GET', '/admin/api/loops')).status).toBe(200);
      expect((await http(base, 'GET', '/admin/healthz')).status).toBe(200);
      expect((await http(base, 'GET', '/elsewhere')).status).toBe(418);
      expect((await http(base, 'GET', '/admin/no-such-thing')).status).toBe(418);
      const bare = await http(base, 'GET', '/admin');
      expect(bare.status).toBe(308);
      expect(bare.headers['location']).toBe('/admin/');
      // Express's originalUrl: a mount path without its slash is redirected, never to another host.
      const express = adminHandler({ loops: [world.loop] });
      const res = await new Promise<{ status: number; location: string | undefined }>((resolve) => {
        const fake = createServer((req, out) => {
          (req as { originalUrl?: string }).originalUrl = '//evil.example/admin';
          req.url = '/';
          express(req, out);
          out.on('finish', () => resolve({ status: out.statusCode, location: out.getHeader('location') as string | undefined }));
        });
        fake.listen(0, '127.0.0.1', () => {
          void http(`http://127.0.0.1:${(fake.address() as AddressInfo).port}/`, 'GET', '/').then(() => fake.close());
        });
      });
      expect(res.status).toBe(308);
      expect(res.location).toBe('/evil.example/admin/');
      express.close();
    } finally {
      admin.close();
      server.close();
      await world.stop();
    }
  });
});

describe('probes', () => {
  it('/readyz is 503 before the first full list completes, then 200; /healthz is 503 once the loop stopped', async () => {
    const { gatedStore } = await import('./fixture.js');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const store = gatedStore(createMemoryStore(), gate);
    await store.create('Item', { metadata: { name: 'a' }, spec: {} });
    const loop = defineLoop({ name: 'gated', store, kind: 'Item', reconcile: () => undefined });
    const server = await serveAdmin({ loops: [loop] });
    try {
      const before = await http(server.url, 'GET', '/readyz');
      expect(before.status).toBe(503);
      expect(before.json()).toMatchObject({ status: 'not ready', reason: expect.stringContaining('waiting for the first full list of: watch Item') });
      expect((await http(server.url, 'GET', '/healthz')).status).toBe(200);
      open();
      await until(async () => (await http(server.url, 'GET', '/readyz')).status === 200);
      await loop.stop();
      const after = await http(server.url, 'GET', '/healthz');
      expect(after.status).toBe(503);
      expect(after.json()).toMatchObject({ status: 'unhealthy', reason: 'loop "gated": the loop is stopped', loops: [{ name: 'gated', alive: false, state: 'stopped' }] });
      expect((await http(server.url, 'GET', '/readyz')).status).toBe(503);
      const action = await http(server.url, 'GET', '/api/loops');
      expect(action.json<{ loops: { health: { state: string } }[] }>().loops[0]?.health.state).toBe('stopped');
    } finally {
      await server.close();
      await loop.stop();
    }
  });

  it('/healthz is 503 naming a loop that died (its scheduler throws), while the other loop is fine', async () => {
    const world = await startWorld();
    const broken = { now: () => 0, schedule: () => { throw new Error('scheduler down'); } };
    const dead = defineLoop({ name: 'dead', desired$: EMPTY, scheduler: broken as never, reconcile: () => undefined });
    const server = await serveAdmin({ loops: [world.loop, dead] });
    try {
      await until(() => dead.health().state === 'dead');
      const r = await http(server.url, 'GET', '/healthz');
      expect(r.status).toBe(503);
      expect(r.json()).toMatchObject({
        status: 'unhealthy',
        reason: 'loop "dead": the loop died: scheduler down',
        loops: [{ name: 'items', alive: true }, { name: 'dead', alive: false, state: 'dead' }],
      });
    } finally {
      await server.close();
      await world.stop();
      await dead.stop();
    }
  });

  it('/healthz is 503 for a stream loop that completed (its finite desired$ ended): it no longer works', async () => {
    const world = await startWorld();
    const done = defineLoop({ name: 'done', desired$: EMPTY, reconcile: () => undefined });
    const server = await serveAdmin({ loops: [world.loop, done] });
    try {
      await until(() => done.health().state === 'completed');
      const r = await http(server.url, 'GET', '/healthz');
      expect(r.status).toBe(503);
      expect(r.json()).toMatchObject({ loops: [{ name: 'items', alive: true }, { name: 'done', alive: false, state: 'completed' }] });
    } finally {
      await server.close();
      await world.stop();
      await done.stop();
    }
  });
});

describe('admin API: finding a key among many, and keys a path cannot carry', () => {
  /** A loop whose every key fails for good at once (terminal), so all are listed as parked. */
  async function parkedWorld(names: readonly string[]): Promise<{ loop: ReturnType<typeof defineLoop>; stop(): Promise<void> }> {
    const store = createMemoryStore();
    for (const name of names) await store.create('Item', { metadata: { name }, spec: {} });
    const loop = defineLoop({ name: 'many', store, kind: 'Item', workers: 4, reconcile: (r) => Outcome.terminal(new Error(`no ${r.key}`)) });
    await until(() => loop.snapshot().parked.length === names.length, 10_000, 'all parked');
    return { loop, stop: () => loop.stop({ deadline: 1000 }) };
  }

  it('pages with offset and limit, and q keeps the keys that contain it (ignoring case); bad values are 400', async () => {
    const names = Array.from({ length: 25 }, (_, i) => `job-${String(i).padStart(2, '0')}`).concat(['Other-A', 'other-b']);
    const world = await parkedWorld(names);
    const server = await serveAdmin({ loops: [world.loop] });
    try {
      type Page = { total: number; offset: number; q: string; keys: { key: string }[] };
      const seen: string[] = [];
      for (let offset = 0; offset < 27; offset += 10) {
        const page = (await http(server.url, 'GET', `/api/loops/many/keys?state=terminal&limit=10&offset=${offset}`)).json<Page>();
        expect(page.total).toBe(27);
        expect(page.offset).toBe(offset);
        seen.push(...page.keys.map((k) => k.key));
      }
      expect(seen.sort()).toEqual([...names].sort()); // every key once, none twice
      const past = (await http(server.url, 'GET', '/api/loops/many/keys?state=terminal&offset=1000')).json<Page>();
      expect(past).toMatchObject({ total: 27, keys: [] });
      const other = (await http(server.url, 'GET', `/api/loops/many/keys?state=parked&q=${enc('OTHER')}`)).json<Page>();
      expect(other.total).toBe(2);
      expect(other.keys.map((k) => k.key).sort()).toEqual(['Other-A', 'other-b']);
      expect(other.q).toBe('OTHER');
      const some = (await http(server.url, 'GET', '/api/loops/many/keys?q=job-1&limit=3')).json<Page>();
      expect(some.total).toBe(10);
      expect(some.keys).toHaveLength(3);
      const none = (await http(server.url, 'GET', `/api/loops/many/keys?q=${enc('<script>')}`)).json<Page>();
      expect(none).toMatchObject({ total: 0, keys: [] });
      for (const bad of ['offset=-1', 'offset=1.5', 'offset=x', 'offset=1e3', 'limit=0', `q=${'x'.repeat(201)}`]) {
        const r = await http(server.url, 'GET', `/api/loops/many/keys?${bad}`);
        expect(r.status, bad).toBe(400);
      }
    } finally {
      await server.close();
      await world.stop();
    }
  });

  it('keys "." and ".." (which browsers resolve away in a path, even as %2e) are read, triggered and released through /key?key=', async () => {
    const world = await parkedWorld(['.', '..', 'plain']);
    const server = await serveAdmin({ loops: [world.loop], token: TOKEN });
    try {
      for (const key of ['.', '..', 'plain']) {
        const read = await http(server.url, 'GET', `/api/loops/many/key?key=${enc(key)}`);
        expect(read.status, key).toBe(200);
        expect(read.json<{ key: string; state: { state: string } }>()).toMatchObject({ key, state: { state: 'terminal' } });
        expect((await http(server.url, 'POST', `/api/loops/many/key/trigger?key=${enc(key)}`)).status, key).toBe(401);
        expect((await http(server.url, 'POST', `/api/loops/many/key/release?key=${enc(key)}`, { headers: auth() })).status, key).toBe(200);
      }
      await until(() => world.loop.snapshot().parked.length === 3, 10_000, 'parked again');
      expect((await http(server.url, 'POST', `/api/loops/many/key/trigger?key=${enc('..')}`, { headers: auth() })).status).toBe(200);
      expect((await http(server.url, 'GET', '/api/loops/many/key')).status).toBe(400);
      expect((await http(server.url, 'GET', '/api/loops/many/key?key=')).status).toBe(400);
      expect((await http(server.url, 'GET', `/api/loops/many/key?key=${enc('nobody')}`)).status).toBe(404);
    } finally {
      await server.close();
      await world.stop();
    }
  });
});
