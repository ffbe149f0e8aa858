/**
 * The checklists are computed from what a loop really has and uses: changing the definition flips
 * the item (a finalizer, `ctx.apply`, `ctx.deleteIfExists`, `ctx.once`, store writes, a coordinator,
 * resync and dependencies). Loops run in virtual time (`SimulationScheduler`).
 */
import { describe, expect, it } from 'vitest';
import { NEVER, of } from 'rxjs';
import { Outcome, createMemoryStore, defineLoop, describeLoops } from 'rx-reconcile';
import type { Coordinator, Fence, LoopContext, Loop } from 'rx-reconcile';
import type { ReconcileLoopOptions } from '../../operators/loop/loop-options.js';
import type { ReconcileRequest } from '../../src/types.js';
import { SimulationScheduler } from 'rx-reconcile/testing';

type Reconcile = (request: ReconcileRequest, ctx: LoopContext<Record<string, unknown>, Record<string, unknown>>) => Promise<Outcome | undefined>;
type Extra = Partial<Omit<ReconcileLoopOptions<Record<string, unknown>, Record<string, unknown>>, 'reconcile' | 'store' | 'scheduler' | 'name' | 'kind'>>;

/** Defines a loop on kind `Thing`, creates `a`, then deletes it, in virtual time; returns its description. */
async function described(reconcile: Reconcile, extra: Extra = {}, tweak: (loop: Loop) => Parameters<typeof describeLoops>[0][number] = (l) => l): Promise<string> {
  const scheduler = new SimulationScheduler();
  const store = createMemoryStore({ scheduler });
  const loop = defineLoop<Record<string, unknown>, Record<string, unknown>>({ name: 'things', store, scheduler, kind: 'Thing', reconcile, ...extra });
  try {
    await scheduler.runUntil(100);
    await store.create('Thing', { metadata: { name: 'a' }, spec: { size: 1 } });
    await scheduler.runUntil(1000);
    await store.delete('Thing', 'a');
    await scheduler.runUntil(2000);
    return describeLoops([tweak(loop)]);
  } finally {
    const stopped = loop.stop();
    await scheduler.runUntil(3000);
    await stopped;
  }
}

/** The checklist line that starts with `label`: `true` when checked. */
function checked(markdown: string, label: string): boolean {
  const line = markdown.split('\n').find((l) => /^[-*] \[[x ]\] /.test(l) && l.slice(6).startsWith(label));
  expect(line, `checklist item "${label}"`).toBeDefined();
  return (line as string).slice(2, 5) === '[x]';
}

const FINALIZER = 'things.example.com/cleanup';

/** A Halo-style loop that adds its finalizer by hand and removes it after cleanup. */
const byHand: Reconcile = async (_request, ctx) => {
  const thing = await ctx.get();
  if (thing === undefined) return Outcome.converged();
  if (thing.metadata.deletionTimestamp !== undefined) {
    await ctx.removeFinalizer(thing, FINALIZER);
    return Outcome.converged();
  }
  await ctx.addFinalizer(thing, FINALIZER);
  return Outcome.converged();
};
const plain: Reconcile = async () => Outcome.converged();

describe('the idempotency checklist', () => {
  it('checks "deletes check existence" when the loop adds a finalizer by hand inside reconcile, and unchecks it without', async () => {
    const withFinalizer = await described(byHand);
    expect(checked(withFinalizer, 'Deletes check existence')).toBe(true);
    expect(withFinalizer).toContain('deletion goes through the finalizer `things.example.com/cleanup`');
    expect(withFinalizer).toContain('| a live resource without the finalizer `things.example.com/cleanup` | add `things.example.com/cleanup` (in `reconcile`) |');
    const without = await described(plain);
    expect(checked(without, 'Deletes check existence')).toBe(false);
    expect(without).not.toContain('things.example.com/cleanup');
  });

  it('checks it for the finalizer option before any pass, and unchecks it when the option is removed', async () => {
    const finalizer = { name: FINALIZER, cleanup: () => undefined };
    expect(checked(await described(plain, { finalizer }), 'Deletes check existence')).toBe(true);
    expect(checked(await described(plain, {}), 'Deletes check existence')).toBe(false);
  });

  it('checks "unique identity" when the passes create through ctx.apply (and not before)', async () => {
    const applying: Reconcile = async (request, ctx) => {
      if ((await ctx.get()) !== undefined) await ctx.apply({ kind: 'Child', metadata: { name: request.key }, spec: { of: request.key } });
      return Outcome.converged();
    };
    const markdown = await described(applying);
    expect(checked(markdown, 'Creates use a unique identity')).toBe(true);
    expect(markdown).toContain('`ctx.apply` creates by name, or updates what exists');
    expect(checked(await described(plain), 'Creates use a unique identity')).toBe(false);
  });

  it('checks "existence check" for ctx.deleteIfExists and "de-duplicated side effects" for ctx.once', async () => {
    const careful: Reconcile = async (request, ctx) => {
      await ctx.deleteIfExists('Child', request.key);
      await ctx.once('welcome', () => 'sent', { delivery: 'at-most-once' });
      return Outcome.converged();
    };
    const markdown = await described(careful);
    expect(checked(markdown, 'Deletes check existence')).toBe(true);
    expect(checked(markdown, 'Side effects are de-duplicated')).toBe(true);
    expect(checked(await described(plain), 'Side effects are de-duplicated')).toBe(false);
  });

  it('checks "version check" while the loop writes to the store, and unchecks it with conditions off and no writes', async () => {
    expect(checked(await described(plain), 'Updates check the version')).toBe(true);
    expect(checked(await described(plain, { conditions: false }), 'Updates check the version')).toBe(false);
    const statusWriter: Reconcile = async (_r, ctx) => {
      const thing = await ctx.get();
      if (thing !== undefined && thing.metadata.deletionTimestamp === undefined) await ctx.updateStatus(thing, (s) => void (s['seen'] = true));
      return Outcome.converged();
    };
    expect(checked(await described(statusWriter, { conditions: false }), 'Updates check the version')).toBe(true);
  });

  it('counts the checked items in the inventory', async () => {
    expect(await described(plain, { conditions: false })).toMatch(/^\| `things` \| .* \| no \(0\/4\) \| /m);
    expect(await described(byHand)).toMatch(/^\| `things` \| .* \| partly \(2\/4\) \| /m);
  });
});

describe('the trigger and concurrency checklists', () => {
  it('check resync and dependencies only when the loop has them', async () => {
    const none = await described(plain);
    expect(checked(none, 'Periodic (resync)')).toBe(false);
    expect(checked(none, 'Dependency changes')).toBe(false);
    const some = await described(plain, { resync: 30_000, dependencies: ['Child'] });
    expect(checked(some, 'Periodic (resync)')).toBe(true);
    expect(some).toContain('every 30 s, every key of `Thing` again at low priority');
    expect(checked(some, 'Dependency changes')).toBe(true);
    expect(checked(await described(plain, { owns: ['Part'] }), 'Dependency changes')).toBe(true);
  });

  it('checks leader election / sharding when the loop has a coordinator (a stub owning every key)', async () => {
    const fence: Fence = { lock: 'shard-0', token: 7, signal: new AbortController().signal };
    const coordinator: Coordinator = { replica: 'r1', owns: () => true, fence: () => fence, hold: () => ({ fence, release: () => undefined }), changes$: NEVER, ready: () => true };
    const markdown = await described(plain, { coordinator });
    expect(checked(markdown, 'Leader election / sharding')).toBe(true);
    // The memory store cannot fence: the document says so instead of promising it.
    expect(markdown).toContain("a `coordinator` gives each key one acting replica; the store has no `fenced()`, so a deposed replica's in-flight write can still land");
    expect(markdown).toContain("but the store has no `fenced()`: with the `coordinator`, a deposed replica's in-flight write can still land");
    expect(markdown).not.toContain('writes are fenced by the `coordinator`');
    expect(checked(await described(plain), 'Leader election / sharding')).toBe(false);
  });

  it('says writes are fenced when the coordinator sits on a store that can fence', async () => {
    const markdown = await described(plain, {}, (loop) => {
      const store = loop.options.mode === 'store' ? loop.options.store : undefined;
      const fencing = { ...store, fenced: () => store };
      return { ...loop, options: { ...loop.options, store: fencing, coordinator: { replica: 'r1' } } as unknown as typeof loop.options };
    });
    expect(checked(markdown, 'Leader election / sharding')).toBe(true);
    expect(markdown).toContain("writes are fenced by the `coordinator`: a deposed replica's writes are refused (`FencedError`)");
    expect(markdown).toContain("a deposed replica's writes are refused by the store (fencing token)");
  });

  it('leaves optimistic concurrency and version checks unchecked for a stream loop (no store)', async () => {
    const loop = defineLoop({ name: 'mirror', desired$: of(new Map([['a', 1]])), reconcile: () => undefined });
    try {
      const markdown = describeLoops([loop]);
      expect(checked(markdown, 'Optimistic concurrency (resource version)')).toBe(false);
      expect(checked(markdown, 'Updates check the version')).toBe(false);
      expect(checked(markdown, 'Resource change events (watch)')).toBe(true);
      expect(markdown).toContain('`desired$` / `current$` changes');
    } finally {
      await loop.stop();
    }
  });

  it('says what it could not see for a loop that gives no usage (the admin view of a loop)', async () => {
    const markdown = await described(byHand, {}, (loop) => ({ name: loop.name, options: loop.options }));
    expect(checked(markdown, 'Deletes check existence')).toBe(false);
    expect(markdown).toContain('(this loop gives no `usage()` to read)');
  });
});
