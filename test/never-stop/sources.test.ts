/**
 * G14: sources never end a loop. A throwing filter, a throwing or wrong-shaped dependency map, a
 * failing list during a resync, an erroring watch, a child with malformed owner references, an
 * erroring user source, a throwing logger or hook: each is contained (per event), logged, counted in
 * `health()`, and the loop goes on converging. Virtual time throughout.
 */
import { describe, expect, it } from 'vitest';
import { Observable, Subject, throwError } from 'rxjs';
import { Backoff, CompactedError, Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Logger, MemoryStore, Resource, ResourceEvent, Store, WatchEvent } from 'rx-reconcile';
import type { WatchOptions } from '../../src/types.js';
import type { LogFields } from '../../src/ports.js';
import { SimulationScheduler } from 'rx-reconcile/testing';

function recorder(): { logger: Logger; lines: { level: string; message: string; fields: LogFields }[] } {
  const lines: { level: string; message: string; fields: LogFields }[] = [];
  const make = (bound: LogFields): Logger => ({
    debug: (fields, message) => void lines.push({ level: 'debug', message, fields: { ...bound, ...fields } }),
    info: (fields, message) => void lines.push({ level: 'info', message, fields: { ...bound, ...fields } }),
    warn: (fields, message) => void lines.push({ level: 'warn', message, fields: { ...bound, ...fields } }),
    error: (fields, message) => void lines.push({ level: 'error', message, fields: { ...bound, ...fields } }),
    child: (more) => make({ ...bound, ...more }),
  });
  return { logger: make({}), lines };
}

/** A store whose methods can be made to fail, and whose watches can be broken, from the test. */
function flakyStore(inner: MemoryStore) {
  const watches: { kind: string; options: WatchOptions | undefined; fail: (error: Error) => void }[] = [];
  let listFailures = 0;
  const store: Store = {
    get: (kind, key) => inner.get(kind, key),
    list: async (kind, options) => {
      if (listFailures > 0) {
        listFailures -= 1;
        throw new Error('list: connection reset');
      }
      return inner.list(kind, options);
    },
    create: (kind, resource) => inner.create(kind, resource),
    update: (resource) => inner.update(resource),
    updateStatus: (resource) => inner.updateStatus(resource),
    delete: (kind, key) => inner.delete(kind, key),
    watch: <S, St>(kind: string, options?: WatchOptions) =>
      new Observable<WatchEvent<S, St>>((subscriber) => {
        watches.push({ kind, options, fail: (error) => subscriber.error(error) });
        return inner.watch<S, St>(kind, options).subscribe(subscriber);
      }),
  };
  return { store, watches, failLists: (n: number) => void (listFailures = n) };
}

const fast = Backoff.constant({ delay: 100, steps: 3 });

describe('a loop whose sources fail keeps running (G14)', () => {
  it('a filter that throws (an Error, then a string) keeps the event, logs it, and the loop goes on', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    const { logger, lines } = recorder();
    const seen: string[] = [];
    const loop = defineLoop({
      name: 'f', store, kind: 'T', scheduler, logger, conditions: false,
      filter: (event) => {
        if (event.object.metadata.name === 'boom') throw new Error('filter bug');
        if (event.object.metadata.name === 'str') throw 'not even an Error';
        return true;
      },
      reconcile: (request) => void seen.push(request.key),
    });
    await scheduler.runUntil(1);
    for (const name of ['boom', 'str', 'ok']) await store.create('T', { metadata: { name }, spec: {} });
    await scheduler.runUntil(10);
    expect(seen.sort()).toEqual(['boom', 'ok', 'str']);
    expect(lines.filter((l) => l.message === 'Watch filter threw: the event is kept')).toHaveLength(2);
    expect(loop.health()).toMatchObject({ alive: true, ready: true });
    await loop.stop();
  });

  it('a dependencies map that throws, returns a non-iterable or non-keys costs that event only', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('App', { metadata: { name: 'web' }, spec: {} });
    const { logger, lines } = recorder();
    const reasons: string[] = [];
    const loop = defineLoop({
      name: 'apps', store, kind: 'App', scheduler, logger, conditions: false,
      dependencies: [
        {
          kind: 'Config',
          map: (event) => {
            const name = event.object.metadata.name;
            if (name === 'throws') throw new Error('map bug');
            if (name === 'number') return 5 as never;
            if (name === 'junk') return [7, '', 'web'] as never;
            return ['web'];
          },
        },
      ],
      reconcile: (request) => void reasons.push(`${request.key}:${request.reason}`),
    });
    await scheduler.runUntil(1);
    for (const name of ['throws', 'number', 'junk', 'fine']) {
      await store.create('Config', { metadata: { name }, spec: {} });
      await scheduler.runUntil(scheduler.now() + 1);
    }
    expect(reasons).toEqual(['web:initial', 'web:dependency', 'web:dependency']); // junk's good key, then fine
    expect(lines.filter((l) => l.message.startsWith('Dependency map'))).toHaveLength(4); // throws, number, 7, ''
    expect(loop.health().alive).toBe(true);
    await loop.stop();
  });

  it('a child with ownerReferences null, [null] or 5 (from a store that does not check) never stops its owner’s loop', async () => {
    const scheduler = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler });
    await inner.create('App', { metadata: { name: 'web' }, spec: {} });
    const pods = new Subject<WatchEvent>();
    const store: Store = { ...inner, watch: (<S, St>(kind: string, options?: WatchOptions) => (kind === 'Pod' ? (pods as unknown as Observable<WatchEvent<S, St>>) : inner.watch<S, St>(kind, options))) as Store['watch'] };
    const reasons: string[] = [];
    const loop = defineLoop({ name: 'apps', store, kind: 'App', scheduler, conditions: false, dependencies: ['Pod'], reconcile: (r) => void reasons.push(`${r.key}:${r.reason}`) });
    await scheduler.runUntil(1);
    const pod = (ownerReferences: unknown): ResourceEvent =>
      ({ type: 'modified', initial: false, object: { kind: 'Pod', spec: {}, metadata: { name: 'p', generation: 1, revision: 1, ownerReferences } } }) as never;
    for (const refs of [null, [null], 5, [{ kind: 'App' }], 'x']) pods.next(pod(refs));
    pods.next(pod([{ kind: 'App', name: 'web' }]));
    await scheduler.runUntil(5);
    expect(reasons).toEqual(['web:initial', 'web:dependency']);
    expect(loop.health().alive).toBe(true);
    await loop.stop();
  });

  it('a resync whose list fails skips that round (logged, in health) and the next round resyncs', async () => {
    const scheduler = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler });
    await inner.create('T', { metadata: { name: 'a' }, spec: {} });
    const { store, failLists } = flakyStore(inner);
    const { logger, lines } = recorder();
    const passes: string[] = [];
    const loop = defineLoop({ name: 'r', store, kind: 'T', scheduler, logger, resync: 1000, conditions: false, reconcile: (r) => void passes.push(`${scheduler.now()}:${r.reason}`) });
    failLists(1);
    await scheduler.runUntil(2500);
    expect(passes).toEqual(['0:initial', '2000:resync']);
    expect(lines.some((l) => l.message === 'Resync listing failed: this round is skipped')).toBe(true);
    expect(loop.health().sources.find((s) => s.name === 'resync')).toMatchObject({ errors: 1, lastError: { message: 'list: connection reset' } });
    expect(loop.health().lastSourceError).toMatchObject({ source: 'resync' });
    await loop.stop();
  });

  it('an error on the watch restarts it with backoff, resuming from the last revision (no re-list, no lost change)', async () => {
    const scheduler = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler });
    await inner.create('T', { metadata: { name: 'a' }, spec: {} });
    const { store, watches } = flakyStore(inner);
    const { logger, lines } = recorder();
    const passes: string[] = [];
    const loop = defineLoop({ name: 'w', store, kind: 'T', scheduler, logger, backoff: fast, conditions: false, reconcile: (r) => void passes.push(`${r.key}:${r.reason}`) });
    await scheduler.runUntil(1);
    watches[0]?.fail(new Error('watch: stream reset'));
    await inner.create('T', { metadata: { name: 'b' }, spec: {} }); // written while the watch is down
    await scheduler.runUntil(50);
    expect(passes).toEqual(['a:initial']);
    await scheduler.runUntil(150);
    expect(passes).toEqual(['a:initial', 'b:watch']); // resumed: b as a change, a not listed again
    expect(watches.map((w) => w.options?.sinceRevision)).toEqual([undefined, 1]);
    expect(lines.some((l) => l.message === 'Watch failed: restarting' && l.fields['retryIn'] === 100)).toBe(true);
    expect(loop.health()).toMatchObject({ alive: true, ready: true });
    expect(loop.health().sources.find((s) => s.name === 'watch T')?.errors).toBe(1);
    await loop.stop();
  });

  it('a watch that cannot resume (compacted) lists again at once, logged', async () => {
    const scheduler = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler, history: 1 });
    await inner.create('T', { metadata: { name: 'a' }, spec: {} });
    const { store, watches } = flakyStore(inner);
    const { logger, lines } = recorder();
    const passes: string[] = [];
    const loop = defineLoop({ name: 'c', store, kind: 'T', scheduler, logger, backoff: fast, conditions: false, reconcile: (r) => void passes.push(`${r.key}:${r.reason}`) });
    await scheduler.runUntil(1);
    watches[0]?.fail(new Error('reset'));
    for (const name of ['b', 'c']) await inner.create('T', { metadata: { name }, spec: {} });
    await scheduler.runUntil(500);
    expect(lines.some((l) => l.message === 'Watch history compacted: re-listing')).toBe(true);
    expect(passes.slice(1).sort()).toEqual(['a:initial', 'b:initial', 'c:initial']);
    expect(watches.map((w) => w.options?.sinceRevision)).toEqual([undefined, 1, undefined]);
    await loop.stop();
  });

  it('a user trigger source that errors is restarted with backoff; its keys go through the queue', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    let subscriptions = 0;
    const events = new Observable<string>((subscriber) => {
      subscriptions += 1;
      subscriber.next(`k${subscriptions}`);
      if (subscriptions < 3) subscriber.error(new Error('source died'));
    });
    const passes: string[] = [];
    const loop = defineLoop({ name: 'u', store, kind: 'T', scheduler, backoff: fast, conditions: false, triggers: [events], reconcile: (r) => void passes.push(`${scheduler.now()}:${r.key}`) });
    await scheduler.runUntil(1000);
    expect(passes).toEqual(['0:k1', '100:k2', '200:k3']);
    expect(loop.health().sources.find((s) => s.name === 'triggers[0]')?.errors).toBe(2);
    await loop.stop();
  });

  it('a crash-looping world fed through triggers backs off (trigger() would force it)', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    const exits = new Subject<string>();
    const starts: number[] = [];
    const loop = defineLoop({
      name: 'supervisor', store, kind: 'Proc', scheduler, conditions: false,
      backoff: Backoff.exponential({ initial: 1000, factor: 2, steps: 5 }),
      triggers: [exits],
      reconcile: () => {
        starts.push(scheduler.now());
        scheduler.schedule(() => exits.next('p'), 1); // the process exits at once…
        return Outcome.retry(new Error('exited with code 1')); // …and the pass reports it
      },
    });
    await scheduler.runUntil(1);
    exits.next('p');
    await scheduler.runUntil(3100);
    // Exits arrive while the key backs off: they collapse and wait; restarts follow the backoff.
    expect(starts).toEqual([1, 1001, 3001]);
    await loop.stop();
  });

  it('hooks whose getters throw (Error or not) neither stop defineLoop nor the loop: each throw is logged with its hook', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const lines: { message: string; fields: LogFields }[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (fields, message) => void lines.push({ message, fields }),
      child: () => logger,
    };
    const hostile = {};
    for (const [hook, thrown] of [['onAdd', new Error('add getter')], ['onStart', 'start getter'], ['onFinish', 42]] as const) {
      Object.defineProperty(hostile, hook, {
        enumerable: true,
        get() {
          throw thrown;
        },
      });
    }
    for (const conditions of [true, false]) {
      lines.length = 0;
      const loop = defineLoop({ name: `g-${conditions}`, store, kind: 'T', scheduler, logger, conditions, hooks: hostile, reconcile: () => Outcome.converged() });
      await scheduler.runUntil(scheduler.now() + 10);
      expect(loop.snapshot().counters.converged).toBe(1);
      expect(loop.health().alive).toBe(true);
      const failed = lines.filter((l) => l.message === 'Observability hook failed').map((l) => l.fields['hook']);
      expect(new Set(failed)).toEqual(new Set(['hooks.onAdd', 'hooks.onStart', 'hooks.onFinish']));
      await loop.stop();
    }
  });

  it('a metrics port whose forLoop throws (Error or not) or returns nothing: the loop is defined and runs without metrics, the throw logged', async () => {
    for (const forLoop of [() => { throw new Error('port bug'); }, () => { throw 'port bug'; }, () => null, () => undefined]) {
      const scheduler = new SimulationScheduler();
      const store = createMemoryStore({ scheduler });
      await store.create('T', { metadata: { name: 'a' }, spec: {} });
      const lines: { message: string; fields: LogFields }[] = [];
      const logger: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (fields, message) => void lines.push({ message, fields }), child: () => logger };
      const loop = defineLoop({ name: 'm', store, kind: 'T', scheduler, logger, metrics: { forLoop } as never, reconcile: () => Outcome.converged() });
      await scheduler.runUntil(10);
      expect(loop.snapshot().counters.converged).toBe(1);
      const failed = lines.filter((l) => l.message === 'Observability hook failed');
      expect(failed.map((l) => l.fields['hook'])).toEqual(forLoop.toString().includes('throw') ? ['metrics.forLoop'] : []);
      await loop.stop();
    }
  });

  it('a logger that throws on every call, and hooks and metrics that throw, never stop the loop or make stop() reject', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const broken: Logger = {
      debug: () => { throw new Error('log'); },
      info: () => { throw new Error('log'); },
      warn: () => { throw 'log'; },
      error: () => { throw new Error('log'); },
      child: () => broken,
    };
    const boom = () => { throw new Error('hook'); };
    const loop = defineLoop({
      name: 'b', store, kind: 'T', scheduler, logger: broken,
      hooks: { onAdd: boom, onStart: boom, onFinish: boom },
      metrics: { forLoop: () => ({ onAdd: boom, onStart: boom, onFinish: boom }) },
      reconcile: () => Outcome.converged(),
    });
    await scheduler.runUntil(10);
    expect(loop.snapshot().counters.converged).toBe(1);
    expect(loop.health().alive).toBe(true);
    const stopping = loop.stop();
    await scheduler.runUntil(20);
    await expect(stopping).resolves.toBeUndefined();
  });

  it('results$ completes (never errors) when the loop stops, so a subscriber without an error handler is safe', async () => {
    const scheduler = new SimulationScheduler();
    const store = createMemoryStore({ scheduler });
    const loop = defineLoop({ name: 'r', store, kind: 'T', scheduler, reconcile: () => undefined });
    let completed = false;
    loop.results$.subscribe({ complete: () => (completed = true) });
    await loop.stop();
    expect(completed).toBe(true);
    expect(loop.health()).toMatchObject({ alive: false, ready: false, state: 'stopped' });
  });
});

describe('health and readiness', () => {
  it('is not ready until the watch has listed its kind fully, then ready; not alive once stopped', async () => {
    const scheduler = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler });
    const gate = new Subject<void>();
    const store: Store = {
      ...inner,
      watch: <S, St>(kind: string, options?: WatchOptions) =>
        new Observable<WatchEvent<S, St>>((subscriber) => {
          // The list arrives only when the test opens the gate (a slow remote store).
          const sub = gate.subscribe(() => sub.add(inner.watch<S, St>(kind, options).subscribe(subscriber)));
          return sub;
        }),
    };
    const loop = defineLoop({ name: 'h', store, kind: 'T', scheduler, reconcile: () => undefined });
    await scheduler.runUntil(1);
    expect(loop.health()).toMatchObject({ alive: true, ready: false, reason: 'waiting for the first full list of: watch T' });
    gate.next();
    await scheduler.runUntil(2);
    expect(loop.health()).toMatchObject({ alive: true, ready: true, reason: undefined, paused: false });
    loop.pause();
    expect(loop.health().paused).toBe(true);
    loop.resume();
    await loop.stop();
    expect(loop.health()).toMatchObject({ alive: false, ready: false, state: 'stopped' });
  });

  it('a store whose watch throws when called (not even an Observable) is retried, and the loop says why it is not ready', async () => {
    const scheduler = new SimulationScheduler();
    const inner = createMemoryStore({ scheduler });
    let calls = 0;
    const store: Store = {
      ...inner,
      watch: (kind, options) => {
        calls += 1;
        if (calls === 1) throw new Error('not connected');
        return calls === 2 ? throwError(() => new CompactedError(kind, 0, 5)) : inner.watch(kind, options);
      },
    };
    const loop = defineLoop({ name: 'x', store, kind: 'T', scheduler, backoff: fast, reconcile: () => undefined });
    await scheduler.runUntil(1);
    expect(loop.health()).toMatchObject({ alive: true, ready: false, lastSourceError: { source: 'watch T', message: 'not connected' } });
    await scheduler.runUntil(200);
    expect(loop.health().ready).toBe(true);
    expect(calls).toBe(3);
    await loop.stop();
  });
});

void ({} as Resource);
