/**
 * Issue 14, items 4, 6 and 7: `Outcome.retryAfter` (a failure retried after a fixed delay, Halo's
 * `Result(true, Duration)` on an error path), the `retryWithBackoff` operator (marbles: the same delays
 * `Backoff.delays` prints), and the side-effect ledger `ctx.once` across a restart of the loop.
 */
import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { createHash } from 'node:crypto';
import { Backoff, Outcome, PermanentError, createMemoryStore, defineLoop, getCondition, once } from 'rx-reconcile';
import { ledgerName } from '../../src/ledger.js';
import { ConditionReasons } from '../../src/status.js';
import type { ReconcileStatus } from 'rx-reconcile';
import { retryWithBackoff } from 'rx-reconcile/operators';
import { SimulationScheduler } from 'rx-reconcile/testing';

const marbles = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('Outcome.retryAfter', () => {
  it('is a failure retried after its fixed delay: counted, Degraded/Retrying on status, quarantined after the steps', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const starts: number[] = [];
    const loop = defineLoop({
      name: 'halo', store, kind: 'T', scheduler: sim,
      backoff: Backoff.exponential({ initial: 1, steps: 3 }), // retryAfter ignores these delays, not its steps
      reconcile: () => {
        starts.push(sim.now());
        return Outcome.retryAfter(new Error('upstream 503'), 30_000);
      },
    });
    await sim.runUntil(1);
    const status = (await store.get<unknown, ReconcileStatus>('T', 'a'))?.status;
    expect(getCondition(status, 'Ready')).toMatchObject({ status: 'False', reason: ConditionReasons.Retrying });
    expect(getCondition(status, 'Ready')?.message).toMatch(/upstream 503; retrying in 30000 ms/);
    expect(loop.snapshot().counters.errorsByClass.transient).toBe(1);
    expect(loop.snapshot().delayed).toMatchObject([{ key: 'a', why: 'backoff', nextAttemptAt: 30_000, failures: 1 }]);
    await sim.runUntil(200_000);
    expect(starts).toEqual([0, 30_000, 60_000, 90_000]); // then quarantined: steps 3 → 4th failure parks
    expect(loop.snapshot().parked).toMatchObject([{ key: 'a', reason: 'quarantined' }]);
    await loop.stop();
  });

  it('a plain watch trigger does not cut a retryAfter wait short (it is a failure wait, like backoff)', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    const created = await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const starts: number[] = [];
    const loop = defineLoop({
      name: 'halo', store, kind: 'T', scheduler: sim, conditions: false,
      reconcile: () => {
        starts.push(sim.now());
        return Outcome.retryAfter(new Error('x'), 5000);
      },
    });
    await sim.runUntil(10);
    await store.update({ ...created, metadata: { ...created.metadata, labels: { touched: 'yes' } } }); // no spec change
    await sim.runUntil(4000);
    expect(starts).toEqual([0]);
    await loop.stop();
  });

  it('is refused with a bad delay where it is built, and a hand-built one becomes a transient failure', () => {
    expect(() => Outcome.retryAfter(new Error('x'), Number.NaN)).toThrow(/Outcome\.retryAfter takes a finite number/);
    const outcome = Outcome.from({ type: 'retry', error: new Error('x'), after: -5 });
    expect(outcome.type === 'retry' && outcome.error.message).toMatch(/retryAfter with an ms of -5/);
  });
});

describe('retryWithBackoff (marbles)', () => {
  it('resubscribes after the policy’s delays, exactly Backoff.delays, then lets the error through', () => {
    const policy = Backoff.exponential({ initial: 10, factor: 2, steps: 3 });
    expect(Backoff.delays(policy, 3)).toEqual([10, 20, 40]);
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#');
      expectObservable(source.pipe(retryWithBackoff(policy))).toBe('- 10ms - 20ms - 40ms -#');
      expectSubscriptions(source.subscriptions).toBe(['^!', '11ms ^!', '32ms ^!', '73ms ^!']);
    });
  });

  it('a value resets the count (resetOnSuccess, the default); without it the steps run out', () => {
    const policy = Backoff.constant({ delay: 5, steps: 2 });
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const flaky = cold('a#');
      const once = cold('a#');
      // Each resubscription emits a value: the count starts again, so it never runs out.
      expectObservable(flaky.pipe(retryWithBackoff(policy)), '^ 20ms !').toBe('a 5ms a 5ms a 5ms a');
      expectSubscriptions(flaky.subscriptions).toBe(['^!', '6ms ^!', '12ms ^!', '18ms ^!']);
      // Without resetOnSuccess: two retries (the policy's steps), then the error goes through.
      expectObservable(once.pipe(retryWithBackoff(policy, { resetOnSuccess: false }))).toBe('a 5ms a 5ms a#');
      expectSubscriptions(once.subscriptions).toBe(['^!', '6ms ^!', '12ms ^!']);
    });
  });

  it('forever: keeps retrying past the steps at the last delay', () => {
    const policy = Backoff.linear({ initial: 2, increment: 2, steps: 2 });
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('#');
      const retried = source.pipe(retryWithBackoff(policy, { forever: true }));
      expectObservable(retried, '^ 20ms !').toBe('');
      expectSubscriptions(source.subscriptions).toBe(['(^!)', '2ms (^!)', '6ms (^!)', '10ms (^!)', '14ms (^!)', '18ms (^!)']);
    });
  });

  it('a PermanentError is not retried', () => {
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-#', undefined, new PermanentError('bad input'));
      expectObservable(source.pipe(retryWithBackoff(Backoff.constant({ delay: 5, steps: 3 })))).toBe('-#', undefined, new PermanentError('bad input'));
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });
});

describe('ctx.once: the side-effect ledger', () => {
  it('at-least-once: the effect runs once per id, and a restarted loop on the same store remembers', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('Order', { metadata: { name: 'o1' }, spec: {} });
    const sent: string[] = [];
    const options = {
      name: 'orders', store, kind: 'Order', scheduler: sim, resync: 1000,
      async reconcile(request: { key: string }, ctx: { once: (id: string, e: () => void, o: { delivery: 'at-least-once' }) => Promise<unknown> }) {
        await ctx.once('welcome-mail', () => void sent.push(request.key), { delivery: 'at-least-once' });
      },
    };
    const first = defineLoop(options as never);
    await sim.runUntil(2500); // three passes (initial + two resyncs), one mail
    await first.stop();
    const second = defineLoop(options as never); // a restart on the same store
    await sim.runUntil(5000);
    await second.stop();
    expect(sent).toEqual(['o1']);
    expect((await store.list('ReconcileLedger')).map((r) => r.spec)).toEqual([{ loop: 'orders', key: 'o1', id: 'welcome-mail', delivery: 'at-least-once' }]);
  });

  it('at-least-once repeats an effect whose pass failed before it was recorded; at-most-once never repeats one, even after a failure', async () => {
    for (const delivery of ['at-least-once', 'at-most-once'] as const) {
      const sim = new SimulationScheduler();
      const store = createMemoryStore({ scheduler: sim });
      await store.create('Order', { metadata: { name: 'o1' }, spec: {} });
      let calls = 0;
      const loop = defineLoop({
        name: 'pay', store, kind: 'Order', scheduler: sim, conditions: false, backoff: Backoff.constant({ delay: 10, steps: 5 }),
        async reconcile(_request, ctx) {
          await ctx.once('charge', () => {
            calls += 1;
            if (calls === 1) throw new Error('gateway timeout'); // did it charge? nobody knows
          }, { delivery });
        },
      });
      await sim.runUntil(100);
      expect(calls).toBe(delivery === 'at-least-once' ? 2 : 1);
      await loop.stop();
    }
  });

  it('an idempotency key of 2 MB is recorded (the record was too large: at-least-once ran the effect again and again)', async () => {
    for (const delivery of ['at-least-once', 'at-most-once'] as const) {
      const store = createMemoryStore();
      const id = `mail:${'x'.repeat(2_000_000)}\u{1F600}`;
      let calls = 0;
      expect((await once(store, { loop: 'l', key: 'k' }, id, delivery, () => ++calls)).ran).toBe(true);
      expect((await once(store, { loop: 'l', key: 'k' }, id, delivery, () => ++calls)).ran).toBe(false);
      expect((await once(store, { loop: 'l', key: 'k' }, `${id}!`, delivery, () => ++calls)).ran).toBe(true);
      expect(calls).toBe(2);
      const records = await store.list<{ id: string; idLength?: number }>('ReconcileLedger');
      expect(records.map((r) => r.spec.idLength).sort()).toEqual([id.length, id.length + 1]);
      for (const r of records) expect(r.spec.id.length).toBeLessThan(1100);
    }
  });

  it('loop names and keys holding NUL never share a record (loop "a" key "b\\0c" met loop "a\\0b" key "c")', async () => {
    const store = createMemoryStore();
    let calls = 0;
    expect((await once(store, { loop: 'a', key: 'b\u0000c' }, 'id', 'at-most-once', () => ++calls)).ran).toBe(true);
    expect((await once(store, { loop: 'a\u0000b', key: 'c' }, 'id', 'at-most-once', () => ++calls)).ran).toBe(true);
    expect(calls).toBe(2);
    // Records written before keep their names: a NUL-free scope is named as it always was.
    expect(ledgerName({ loop: 'pay', key: 'o1' }, 'charge')).toBe(createHash('sha256').update('pay\u0000o1\u0000charge').digest('hex'));
  });

  it('regression: idempotency keys that differ only in a lone surrogate are two effects (x\\ud800 and x\\udc00 shared a record: the second effect was skipped)', async () => {
    const store = createMemoryStore();
    let calls = 0;
    for (const delivery of ['at-most-once', 'at-least-once'] as const) {
      for (const scope of [{ loop: 'l', key: 'k' }, { loop: 'l\ud800', key: 'k' }, { loop: 'l', key: 'k\udc00' }]) {
        expect((await once(store, scope, `${delivery}\ud800`, delivery, () => ++calls)).ran).toBe(true);
        expect((await once(store, scope, `${delivery}\udc00`, delivery, () => ++calls)).ran).toBe(true);
        expect((await once(store, scope, `${delivery}\udc00`, delivery, () => ++calls)).ran).toBe(false);
      }
    }
    expect(calls).toBe(12);
    expect(ledgerName({ loop: 'l\ud800', key: 'k' }, 'id')).not.toBe(ledgerName({ loop: 'l\udc00', key: 'k' }, 'id'));
    // A well-formed pair is no lone surrogate: such names stay as they always were.
    expect(ledgerName({ loop: 'pay', key: 'o😀' }, 'mail 😀')).toBe(createHash('sha256').update('pay\u0000o😀\u0000mail 😀').digest('hex'));
  });

  it('refuses a call without a delivery choice or with an empty id', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'a' }, spec: {} });
    const errors: string[] = [];
    const loop = defineLoop({
      name: 'bad', store, kind: 'T', scheduler: sim, conditions: false,
      async reconcile(_request, ctx) {
        for (const call of [() => ctx.once('x', () => 1, {} as never), () => ctx.once('', () => 1, { delivery: 'at-most-once' })]) {
          await call().catch((error: Error) => errors.push(error.message));
        }
      },
    });
    await sim.runUntil(10);
    expect(errors).toEqual([expect.stringMatching(/delivery must be 'at-most-once' or 'at-least-once'/), expect.stringMatching(/non-empty string/)]);
    await loop.stop();
  });
});
