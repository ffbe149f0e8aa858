import { describe, expect, it } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { Subject } from 'rxjs';
import { pino } from 'pino';
import client from 'prom-client';
import { ConflictError, Outcome, createMemoryStore, defineLoop, setDiff } from 'rx-reconcile';
import { noopLogger } from '../../src/ports.js';
import { prometheusMetrics } from 'rx-reconcile/prometheus';
import type { Logger, PassResult } from 'rx-reconcile';
import type { ReconcileRequest } from '../../src/types.js';
import { createQueueControl, instrument, workQueue } from 'rx-reconcile/operators';
import { logLines } from '../../operators/instrument.js';
import { virtualClock } from './clock.js';
import { sample, startScenario } from './scenario.js';

type Line = Record<string, unknown> & { level: number; msg: string };

const DEBUG = 20;
const INFO = 30;
const WARN = 40;
const ERROR = 50;

/** A real pino logger writing JSON lines into an array, through a custom writable stream. */
function capture(level: 'debug' | 'info' = 'debug'): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { logger: pino({ level, base: null, timestamp: false }, stream), lines };
}

const named = (lines: readonly Line[], msg: string, key?: string) =>
  lines.filter((l) => l.msg === msg && (key === undefined || l['key'] === key));

describe('structured logs', () => {
  it('writes the catalogue lines of a scripted run, with fields, levels and one reconcileId per pass', async () => {
    const clock = virtualClock();
    const { logger, lines } = capture();
    const { loop } = await startScenario(clock, { logger });
    await clock.advance(10_000);
    loop.release('c-broken');
    const stopped = loop.stop({ deadline: 0 });
    await clock.advance(10);
    await stopped;

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line['loop'], line.msg).toBe('shop');
    const catalogue = new Set(logLines.map((l) => l.message));
    for (const line of lines) expect(catalogue.has(line.msg), `"${line.msg}" is in logLines`).toBe(true);

    // Reconciling: one per pass (11 + the released one), debug, each with a fresh id.
    const starts = named(lines, 'Reconciling');
    expect(starts).toHaveLength(12);
    for (const start of starts) {
      expect(start.level).toBe(DEBUG);
      expect(typeof start['key']).toBe('string');
      expect(typeof start['reason']).toBe('string');
      expect(start['reconcileId']).toMatch(/\S/);
    }
    expect(new Set(starts.map((s) => s['reconcileId'])).size).toBe(12);
    expect(named(lines, 'Reconciling', 'b-flaky').map((l) => [l['reason'], l['revision']])).toEqual([
      ['initial', 2],
      ['retry', 2],
    ]);

    // A transient failure: warn, with class, retryAfter and the pass's reconcileId.
    const [flakyFailed] = named(lines, 'Reconcile failed', 'b-flaky');
    expect(flakyFailed).toMatchObject({
      level: WARN,
      error: 'upstream timed out',
      code: 'TRANSIENT',
      class: 'transient',
      retryAfter: 1000,
      failures: 1,
      reconcileId: named(lines, 'Reconciling', 'b-flaky')[0]?.['reconcileId'],
    });
    // Its recovery is the one success logged at info.
    expect(named(lines, 'Converged', 'b-flaky')).toEqual([
      expect.objectContaining({ level: INFO, recoveredAfter: 1, durationMs: 250, reconcileId: named(lines, 'Reconciling', 'b-flaky')[1]?.['reconcileId'] }),
    ]);
    expect(named(lines, 'Converged', 'a-ok')).toEqual([expect.objectContaining({ level: DEBUG, durationMs: 250 })]);
    expect(named(lines, 'Converged', 'a-ok')[0]).not.toHaveProperty('recoveredAfter');

    // A permanent failure parks the key: error, no retryAfter.
    expect(named(lines, 'Reconcile failed', 'd-bad')).toEqual([
      expect.objectContaining({ level: ERROR, class: 'permanent', code: 'PERMANENT', parked: 'terminal', error: 'title is reserved' }),
    ]);
    expect(named(lines, 'Reconcile failed', 'd-bad')[0]).not.toHaveProperty('retryAfter');

    // Quarantine: the third failure in a row, at error, then released by hand.
    const broken = named(lines, 'Reconcile failed', 'c-broken');
    expect(broken.map((l) => [l.level, l['failures'], l['parked'], l['code']])).toEqual([
      [WARN, 1, undefined, 'TRANSIENT'],
      [WARN, 2, undefined, 'TRANSIENT'],
      [ERROR, 3, 'quarantined', 'TRANSIENT'],
      // The released pass, cut by the stop deadline.
      [WARN, 1, undefined, 'STOPPED'],
    ]);
    expect(named(lines, 'Key quarantined', 'c-broken')).toEqual([
      expect.objectContaining({ level: ERROR, failures: 3, class: 'transient', error: 'disk full (attempt 3)', reconcileId: broken[2]?.['reconcileId'] }),
    ]);
    expect(named(lines, 'Key released', 'c-broken')).toEqual([expect.objectContaining({ level: INFO, by: 'release' })]);

    expect(named(lines, 'Requeued', 'e-poll')[0]).toMatchObject({ level: DEBUG, requeueAfter: 5000 });
    expect(named(lines, 'Waiting for dependency', 'f-dep')[0]).toMatchObject({ level: DEBUG, dependency: 'database', retryAfter: 2000 });
    expect(named(lines, 'Loop stopped')).toEqual([expect.objectContaining({ level: INFO })]);
  });

  it('keeps a healthy loop quiet at info, and logs its corrections at debug', async () => {
    const clock = virtualClock();
    const runHealthy = async (level: 'debug' | 'info') => {
      const { logger, lines } = capture(level);
      const store = createMemoryStore({ scheduler: clock.scheduler });
      const world = new Map<string, string>([['s1/old', 'stale']]);
      await store.create('Site', { metadata: { name: 's1' }, spec: { pages: { index: 'hi' } } });
      const loop = defineLoop<{ pages: Record<string, string> }, unknown, Record<string, string>, string>({
        name: 'sites',
        store,
        kind: 'Site',
        scheduler: clock.scheduler,
        logger,
        observe: (key) =>
          Object.fromEntries([...world].filter(([k]) => k.startsWith(`${key}/`)).map(([k, v]) => [k.slice(key.length + 1), v])),
        compare: (desired, current) => setDiff(desired?.spec.pages ?? {}, current),
        correct: (c, ctx) => {
          if (c.action === 'delete') world.delete(`${ctx.key}/${c.target}`);
          else world.set(`${ctx.key}/${c.target}`, c.value ?? '');
        },
      });
      await clock.advance(1000);
      const before = [...lines];
      const stopped = loop.stop();
      await clock.settle();
      await stopped;
      return { before, lines };
    };

    const quiet = await runHealthy('info');
    expect(quiet.before).toEqual([]);
    expect(quiet.lines.map((l) => l.msg)).toEqual(['Loop stopped']);

    const verbose = await runHealthy('debug');
    const corrections = named(verbose.lines, 'Correction applied');
    expect(corrections.map((c) => [c['action'], c['target']]).sort()).toEqual([
      ['create', 'index'],
      ['delete', 'old'],
    ]);
    for (const c of corrections) {
      expect(c).toMatchObject({ level: DEBUG, loop: 'sites', key: 's1' });
      expect(c['idempotencyKey']).toMatch(/\S/);
      expect(c['reconcileId']).toMatch(/\S/);
    }
    expect(named(verbose.lines, 'Reconciling').length).toBeGreaterThan(0);
  });

  it('logs a conflict retried at once at debug only', async () => {
    const clock = virtualClock();
    const { logger, lines } = capture();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Item', { metadata: { name: 'c' }, spec: {} });
    let n = 0;
    const loop = defineLoop({
      name: 'conflicts',
      store,
      kind: 'Item',
      scheduler: clock.scheduler,
      logger,
      reconcile: () => {
        if (++n === 1) throw new ConflictError('Item', 'c', '1', '2');
        return Outcome.converged();
      },
    });
    await clock.advance(100);
    await loop.stop();
    expect(named(lines, 'Reconcile failed', 'c')).toEqual([
      expect.objectContaining({ level: DEBUG, class: 'conflict', code: 'CONFLICT', retryAfter: 0, failures: 0 }),
    ]);
    // Not a failure from the key's point of view: its success is not a recovery.
    expect(named(lines, 'Converged', 'c')).toEqual([expect.objectContaining({ level: DEBUG })]);
    expect(lines.filter((l) => l.level >= INFO).map((l) => l.msg)).toEqual(['Loop stopped']);
  });

  it('gives a pass one reconcileId, on the loop lines and on ctx.logger lines alike', async () => {
    const clock = virtualClock();
    const { logger, lines } = capture();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Item', { metadata: { name: 'x' }, spec: {} });
    const results: PassResult[] = [];
    const loop = defineLoop({
      name: 'ids',
      store,
      kind: 'Item',
      scheduler: clock.scheduler,
      logger,
      reconcile: (_request, ctx) => {
        ctx.logger.info({ step: 'inside' }, 'Custom line');
        return Outcome.converged();
      },
    });
    loop.results$.subscribe((r) => results.push(r));
    await clock.advance(100);
    await loop.stop();
    expect(results[0]?.reconcileId).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    const [start] = named(lines, 'Reconciling');
    const [custom] = named(lines, 'Custom line');
    expect(custom?.['reconcileId']).toBe(start?.['reconcileId']);
    expect((results[0] as PassResult & { reconcileId?: string }).reconcileId).toBe(start?.['reconcileId']);
  });

  it('instruments a hand-written loop: overdue convergence is logged and counted; a throwing hook stops nothing', async () => {
    const clock = virtualClock();
    const { logger, lines } = capture();
    const registry = new client.Registry();
    const control = createQueueControl({ scheduler: clock.scheduler });
    const hooks = instrument({
      logger: logger.child({ loop: 'hand' }),
      metrics: prometheusMetrics({ client, registry }),
      probe: { name: 'hand', stats: () => control.stats() },
      convergenceDeadline: 1000,
      hooks: {
        onFinish: () => {
          throw new Error('user hook bug');
        },
      },
    });
    const triggers = new Subject<ReconcileRequest>();
    const results: PassResult[] = [];
    triggers
      .pipe(
        workQueue(
          async () => {
            await clock.sleep(300);
            return Outcome.retry(new Error('not yet'));
          },
          { scheduler: clock.scheduler, control, hooks, convergenceDeadline: 1000 },
        ),
      )
      .subscribe((r) => results.push(r));
    triggers.next({ key: 'k', reason: 'watch', revision: 2 });
    await clock.advance(1500);

    expect(results).toHaveLength(1);
    expect(named(lines, 'Convergence deadline exceeded', 'k')).toEqual([
      expect.objectContaining({ level: ERROR, loop: 'hand', since: new Date(0).toISOString(), deadlineMs: 1000, revision: 2 }),
    ]);
    const text = await registry.metrics();
    expect(sample(text, 'reconcile_overdue_total{loop="hand"}')).toBe(1);
    expect(named(lines, 'Observability hook failed')[0]).toMatchObject({ level: ERROR, hook: 'hooks.onFinish', error: 'user hook bug' });
    const stopped = control.stop({ deadline: 0 });
    await clock.advance(10);
    await stopped;
  });
});

describe('instrument with nothing to tell', () => {
  const probe = { name: 'quiet', stats: () => createQueueControl().stats() };

  it('has no onStart with the default logger and no start hooks (the queue then reads no clock per enqueue)', () => {
    expect(instrument({ logger: noopLogger, probe }).onStart).toBeUndefined();
    expect(instrument({ logger: noopLogger, probe, hooks: { onFinish: () => undefined } }).onStart).toBeUndefined();
    expect(instrument({ logger: noopLogger, probe, hooks: { onStart: () => undefined } }).onStart).toBeTypeOf('function');
    expect(instrument({ logger: capture().logger, probe }).onStart).toBeTypeOf('function');
  });

  it('has no onAdd without a metrics or user onAdd, and no onFinish when it is also quiet (no call, no result per pass)', () => {
    const quiet = instrument({ logger: noopLogger, probe });
    expect(quiet.onAdd).toBeUndefined();
    expect(quiet.onFinish).toBeUndefined();
    expect(instrument({ logger: noopLogger, probe, hooks: { onAdd: () => undefined } }).onAdd).toBeTypeOf('function');
    expect(instrument({ logger: noopLogger, probe, metrics: { forLoop: () => ({ onAdd: () => undefined }) } }).onAdd).toBeTypeOf('function');
    expect(instrument({ logger: noopLogger, probe, hooks: { onFinish: () => undefined } }).onFinish).toBeTypeOf('function');
    expect(instrument({ logger: capture().logger, probe }).onFinish).toBeTypeOf('function');
  });

  it('a throwing onAdd or onFinish (Error or not, user or metrics) is logged with its hook name and the others are still called', () => {
    const { logger, lines } = capture();
    const seen: string[] = [];
    const hooks = instrument({
      logger,
      probe,
      hooks: {
        onAdd: (key) => {
          seen.push(`user add ${key}`);
          throw 'user add bug';
        },
        onFinish: () => {
          throw new Error('user finish bug');
        },
      },
      metrics: {
        forLoop: () => ({
          onAdd: () => {
            throw new Error('metrics add bug');
          },
          onFinish: (result: PassResult) => void seen.push(`metrics finish ${result.key}`),
        }),
      },
    });
    hooks.onAdd?.('k', 'watch', undefined);
    hooks.onFinish?.({ key: 'k', request: { key: 'k', reason: 'watch' }, startedAt: 0, finishedAt: 1, outcome: Outcome.converged(), failures: 0 } as unknown as PassResult);
    expect(seen).toEqual(['user add k', 'metrics finish k']);
    expect(named(lines, 'Observability hook failed').map((l) => [l['hook'], l['error']])).toEqual([
      ['metrics.onAdd', 'metrics add bug'],
      ['hooks.onAdd', 'user add bug'],
      ['hooks.onFinish', 'user finish bug'],
    ]);
  });

  it('a user onStart is still called, and a hooks object whose onStart getter throws stops nothing (logged)', async () => {
    const { logger, lines } = capture();
    const started: string[] = [];
    const calls = instrument({ logger: noopLogger, probe, hooks: { onStart: (key) => void started.push(key) } });
    calls.onStart?.('k', { key: 'k', reason: 'watch' }, 0);
    expect(started).toEqual(['k']);
    const hostile = Object.defineProperty({}, 'onStart', {
      get() {
        throw new Error('getter bug');
      },
    });
    const hooks = instrument({ logger, probe, hooks: hostile });
    const results: PassResult[] = [];
    const triggers = new Subject<string>();
    triggers.pipe(workQueue(() => Outcome.converged(), { hooks })).subscribe((r) => results.push(r));
    triggers.next('a');
    triggers.next('b');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(results.map((r) => r.key)).toEqual(['a', 'b']);
    expect(named(lines, 'Observability hook failed')[0]).toMatchObject({ hook: 'hooks.onStart', error: 'getter bug' });
  });
});

describe('the log catalogue', () => {
  it('lists every message the library logs (scanned from src/ and operators/)', async () => {
    const messages = new Set<string>();
    for (const folder of ['src', 'operators']) {
      const dir = new URL(`../../${folder}/`, import.meta.url);
      for (const file of await readdir(dir)) {
        if (!file.endsWith('.ts')) continue;
        const text = await readFile(new URL(file, dir), 'utf8');
        for (const m of text.matchAll(/\.(?:debug|info|warn|error)\(\s*(?:[^;]|\n)*?,\s*'([A-Z][^']+)',?\s*\)/g)) {
          if (m[1] !== undefined) messages.add(m[1]);
        }
      }
    }
    expect(messages.size).toBeGreaterThan(5);
    const catalogue = new Set(logLines.map((l) => l.message));
    for (const message of messages) expect(catalogue.has(message), `"${message}" is in logLines`).toBe(true);
  });
});
