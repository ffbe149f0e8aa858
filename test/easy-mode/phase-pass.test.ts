/**
 * The four phases in `defineLoop` run without an operator chain when `observe` answers with a value
 * or a Promise and nothing is to be corrected. These tests pin that every form of `observe` and every
 * failure still gives the outcome the operator chain (`observe` → `compare` → `correct` → `verify`)
 * gives.
 */
import { describe, expect, it } from 'vitest';
import { Observable, of } from 'rxjs';
import { Outcome, createMemoryStore, defineLoop, setDiff } from 'rx-reconcile';
import type { PassResult } from 'rx-reconcile';

/** What a phase function may answer with. */
type MaybeAsync<T> = T | PromiseLike<T> | Observable<T>;

type Pages = Record<string, string>;

/** A loop over one `Site` whose pages must exist in `world`, with `observe` answering through `wrap`. */
async function siteLoop(wrap: (pages: Pages) => MaybeAsync<Pages>, options: { verify?: false | { inSync?: () => Outcome }; timeout?: number } = {}) {
  const store = createMemoryStore();
  const world = new Map<string, string>();
  const applied: string[] = [];
  let observed = 0;
  await store.create('Site', { metadata: { name: 's1' }, spec: { pages: { index: 'hi' } } });
  const loop = defineLoop<{ pages: Pages }, unknown, Pages, string>({
    name: 'sites',
    store,
    kind: 'Site',
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    observe: () => {
      observed++;
      return wrap(Object.fromEntries(world));
    },
    compare: (desired, current) => setDiff(desired?.spec.pages ?? {}, current ?? {}),
    correct: (c) => {
      applied.push(`${c.action} ${c.target}`);
      if (c.action !== 'delete') world.set(c.target, c.value as string);
    },
    ...(options.verify !== undefined ? { verify: options.verify } : {}),
  });
  const results: PassResult[] = [];
  loop.results$.subscribe((r) => results.push(r));
  return { store, world, applied, loop, results, observed: () => observed };
}

/** Waits (real time, a few ms) until `results` holds a pass result: a retried key never makes a loop idle. */
async function firstResult(results: readonly PassResult[]): Promise<PassResult> {
  for (let i = 0; i < 500 && results.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 2));
  const first = results[0];
  if (first === undefined) throw new Error('no pass result within a second');
  return first;
}

describe('the four phases of defineLoop', () => {
  const forms: [string, (pages: Pages) => MaybeAsync<Pages>][] = [
    ['a value', (pages) => pages],
    ['a Promise', (pages) => Promise.resolve(pages)],
    ['an Observable', (pages) => of(pages)],
    ['an Observable answering later', (pages) => new Observable<Pages>((s) => void setTimeout(() => (s.next(pages), s.complete()), 1))],
  ];
  for (const [form, wrap] of forms) {
    it(`with observe answering ${form}: corrects, verifies by observing again, and a second pass plans nothing`, async () => {
      const { world, applied, loop, results, observed } = await siteLoop(wrap);
      await loop.whenIdle();
      expect([...world]).toEqual([['index', 'hi']]);
      expect(applied).toEqual(['create index']);
      expect(observed()).toBe(2); // observe, then verify's observe
      loop.trigger('s1');
      await loop.whenIdle();
      expect(applied).toHaveLength(1);
      expect(observed()).toBe(3);
      expect(results.map((r) => r.outcome.type)).toEqual(['converged', 'converged']);
      await loop.stop();
    });
  }

  it('a correction that does not take is retried with the verify error, for a Promise observe too', async () => {
    const { loop, results, store } = await siteLoop((pages) => Promise.resolve({ ...pages, index: 'stale' }));
    const first = await firstResult(results);
    expect(first.outcome.type).toBe('retry');
    expect(String(first.outcome.type === 'retry' ? first.outcome.error : '')).toMatch(/correction\(s\) still planned after correct/);
    await loop.stop();
    const site = await store.get('Site', 's1');
    expect(JSON.stringify(site?.status)).toMatch(/"Degraded"/);
    await loop.stop();
  });

  it('verify: false ends a pass with corrections as converged without observing again', async () => {
    const { loop, results, observed } = await siteLoop((pages) => Promise.resolve(pages), { verify: false });
    await loop.whenIdle();
    expect(results.map((r) => r.outcome.type)).toEqual(['converged']);
    expect(observed()).toBe(1);
    await loop.stop();
  });

  it('a custom inSync outcome is what a no-change pass answers, without an operator chain or with one', async () => {
    for (const wrap of [(p: Pages): MaybeAsync<Pages> => p, (p: Pages): MaybeAsync<Pages> => of(p)]) {
      const { loop, results, applied, world } = await siteLoop((p) => wrap({ ...p, index: 'hi' }), { verify: { inSync: () => Outcome.requeueAfter(60_000) } });
      world.set('index', 'hi');
      expect((await firstResult(results)).outcome.type).toBe('requeueAfter');
      expect(applied).toEqual([]);
      await loop.stop();
    }
  });

  const failures: [string, () => MaybeAsync<Pages>][] = [
    ['throws', () => { throw new Error('observe broke'); }],
    ['throws a string', () => { throw 'observe broke'; }],
    ['rejects', () => Promise.reject(new Error('observe broke'))],
    ['errors as an Observable', () => new Observable<Pages>((s) => s.error(new Error('observe broke')))],
  ];
  for (const [how, observe] of failures) {
    it(`an observe that ${how} is a retried failure, and the loop goes on`, async () => {
      const { loop, results, store } = await siteLoop(observe);
      expect((await firstResult(results)).outcome.type).toBe('retry');
      await loop.stop();
      expect(JSON.stringify((await store.get('Site', 's1'))?.status)).toMatch(/observe broke/);
      await loop.stop();
    });
  }

  it('a compare that throws after a Promise observe is a retried failure', async () => {
    const store = createMemoryStore();
    await store.create('Site', { metadata: { name: 's1' }, spec: {} });
    const loop = defineLoop<unknown, unknown, number, string>({
      name: 'x',
      store,
      kind: 'Site',
      observe: async () => 1,
      compare: () => {
        throw new Error('compare broke');
      },
      correct: () => undefined,
    });
    const results: PassResult[] = [];
    loop.results$.subscribe((r) => results.push(r));
    expect((await firstResult(results)).outcome.type).toBe('retry');
    await loop.stop();
  });

  it('a correction that hangs after a Promise observe is cancelled by the pass timeout (its subscription ends)', async () => {
    const store = createMemoryStore();
    await store.create('Site', { metadata: { name: 's1' }, spec: {} });
    let unsubscribed = 0;
    const loop = defineLoop<unknown, unknown, number, string>({
      name: 'x',
      store,
      kind: 'Site',
      timeout: 20,
      observe: async () => 0,
      compare: () => [{ action: 'create', target: 't', value: 'v' }],
      correct: () => new Observable<never>(() => () => void unsubscribed++),
    });
    const results: PassResult[] = [];
    loop.results$.subscribe((r) => results.push(r));
    expect((await firstResult(results)).outcome.type).toBe('retry');
    expect(unsubscribed).toBeGreaterThan(0);
    await loop.stop();
  });
});
