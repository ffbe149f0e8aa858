/**
 * Two loops on one kind keep their own conditions: `conditions: { prefix: 'Notify' }` writes
 * `NotifyReady` / `NotifyProgressing` / `NotifyDegraded`, so a failing second loop no longer has its
 * `Ready=False` overwritten by the first loop's `Ready=True`; two loops of one process writing the
 * same types on one store and kind are warned about at start.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Backoff, Outcome, createMemoryStore, defineLoop, describeLoops, getCondition } from 'rx-reconcile';
import { ConditionReasons, passConditions, recordPass } from '../../src/status.js';
import type { Logger, ReconcileStatus } from 'rx-reconcile';
import { SimulationScheduler } from 'rx-reconcile/testing';

/** Warnings a loop logged, by message. */
function capture(): { logger: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (_fields, message) => void warnings.push(message),
    error() {},
    child: () => logger,
  };
  return { logger, warnings };
}

const SHARED = /^Loops share their status conditions/;
const types = (status: ReconcileStatus | undefined): string[] => (status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).sort();

describe('conditions: { prefix }', () => {
  it('regression: a failing second loop on the same kind keeps its own conditions (its Ready=False was overwritten by the first loop\'s Ready=True)', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('Todo', { metadata: { name: 'x' }, spec: {} });
    let files = 0;
    const a = defineLoop({ name: 'files', store, kind: 'Todo', scheduler: sim, reconcile: () => void files++ });
    const b = defineLoop({
      name: 'notify', store, kind: 'Todo', scheduler: sim, conditions: { prefix: 'Notify' },
      reconcile: () => Outcome.retryAfter(new Error('smtp down'), 60_000),
    });
    await sim.runUntil(10);
    const status = (await store.get<unknown, ReconcileStatus>('Todo', 'x'))?.status;
    expect(types(status)).toEqual(['Degraded=False', 'NotifyDegraded=False', 'NotifyProgressing=True', 'NotifyReady=False', 'Progressing=False', 'Ready=True']);
    expect(getCondition(status, 'NotifyReady')).toMatchObject({ reason: ConditionReasons.Retrying, message: expect.stringMatching(/smtp down; retrying in 60000 ms/) });
    // The second pass of the converged loop finds its three conditions where it left them: no write.
    const version = (await store.get('Todo', 'x'))?.metadata.version;
    a.trigger('x');
    await sim.runUntil(20);
    expect((await store.get('Todo', 'x'))?.metadata.version).toBe(version);
    expect(files).toBeGreaterThanOrEqual(2);
    await a.stop();
    await b.stop();
  });

  it('quarantine and a refused spec are told on the prefixed Degraded condition', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    await store.create('T', { metadata: { name: 'bad' }, spec: { n: 'not a number' } });
    await store.create('T', { metadata: { name: 'flaky' }, spec: { n: 1 } });
    const loop = defineLoop({
      name: 'mail', store, kind: 'T', scheduler: sim, conditions: { prefix: 'Mail' },
      schema: z.object({ n: z.number() }),
      backoff: Backoff.constant({ delay: 10, steps: 1 }),
      reconcile: () => Outcome.retry(new Error('down')),
    });
    await sim.runUntil(1000);
    const bad = (await store.get<unknown, ReconcileStatus>('T', 'bad'))?.status;
    const flaky = (await store.get<unknown, ReconcileStatus>('T', 'flaky'))?.status;
    expect(getCondition(bad, 'MailDegraded')).toMatchObject({ status: 'True', reason: ConditionReasons.InvalidSpec });
    expect(getCondition(flaky, 'MailDegraded')).toMatchObject({ status: 'True', reason: ConditionReasons.Quarantined });
    expect(getCondition(flaky, 'Degraded')).toBeUndefined();
    expect(getCondition(flaky, 'Ready')).toBeUndefined();
    await loop.stop();
  });

  it('two loops writing the same types on one store and kind are warned about, naming both and the fix; a prefix, another kind or a stopped loop is not', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    const first = capture();
    const a = defineLoop({ name: 'files', store, kind: 'Todo', scheduler: sim, logger: first.logger, reconcile: () => undefined });
    expect(first.warnings).toEqual([]);
    const quiet: string[][] = [];
    for (const options of [{ conditions: { prefix: 'Notify' } }, { conditions: false }, { kind: 'Other' }, { store: createMemoryStore({ scheduler: sim }) }]) {
      const { logger, warnings } = capture();
      const loop = defineLoop({ name: 'notify', store, kind: 'Todo', scheduler: sim, logger, reconcile: () => undefined, ...options });
      quiet.push(warnings);
      await loop.stop();
    }
    expect(quiet).toEqual([[], [], [], []]);
    const second = capture();
    const b = defineLoop({ name: 'notify', store, kind: 'Todo', scheduler: sim, logger: second.logger, reconcile: () => undefined });
    expect(second.warnings).toHaveLength(1);
    expect(second.warnings[0]).toMatch(SHARED);
    expect(second.warnings[0]).toMatch(/Ready, Progressing, Degraded on Todo; give all but one conditions: \{ prefix: 'Name' \}/);
    await b.stop();
    await a.stop();
    const third = capture();
    const c = defineLoop({ name: 'notify', store, kind: 'Todo', scheduler: sim, logger: third.logger, reconcile: () => undefined });
    expect(third.warnings).toEqual([]); // files stopped: nobody else writes them now
    await c.stop();
  });

  it('refuses a prefix that is not letters and digits starting with a letter, naming the option and the fix', () => {
    const store = createMemoryStore();
    const fix = /conditions.*\{ prefix: 'Mail' \}/s;
    const cases: [unknown, RegExp][] = [
      [{ prefix: '' }, fix],
      [{ prefix: '1x' }, fix],
      [{ prefix: 'a-b' }, fix],
      [{ prefix: 42 }, fix],
      [{ prefix: 'x'.repeat(64) }, fix],
      [{}, fix],
      ['yes', fix],
      [null, fix],
      [{ prefix: 'A', extra: 1 }, /unknown option "conditions\.extra"/],
    ];
    for (const [conditions, message] of cases) {
      expect(() => defineLoop({ name: 'l', store, kind: 'T', reconcile: () => undefined, conditions: conditions as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(message) }),
      );
    }
  });

  it('the loop\'s document names the prefixed conditions', async () => {
    const sim = new SimulationScheduler();
    const store = createMemoryStore({ scheduler: sim });
    const loop = defineLoop({ name: 'mail', store, kind: 'T', scheduler: sim, conditions: { prefix: 'Mail' }, schema: z.object({ n: z.number() }), reconcile: () => undefined });
    const markdown = describeLoops([loop]);
    expect(markdown).toContain('`MailReady` / `MailProgressing` / `MailDegraded`');
    expect(markdown).toContain('`MailDegraded=True`');
    expect(markdown).not.toMatch(/[^l]`Degraded/);
    await loop.stop();
  });

  it('passConditions and recordPass use the prefix; a converged status recorded with it is the same reference again', () => {
    const verdict = { outcome: Outcome.converged(), failureClass: undefined, failures: 0, parked: undefined };
    expect(passConditions({ generation: 1, verdict, prefix: 'Mail' }).map((c) => c.type)).toEqual(['MailReady', 'MailProgressing', 'MailDegraded']);
    expect(passConditions({ generation: 1, verdict }).map((c) => c.type)).toEqual(['Ready', 'Progressing', 'Degraded']);
    const once = recordPass<ReconcileStatus>({}, { generation: 1, verdict, prefix: 'Mail' }, '2026-01-01T00:00:00.000Z');
    expect(recordPass(once, { generation: 1, verdict, prefix: 'Mail' }, '2026-01-02T00:00:00.000Z')).toBe(once);
    // The unprefixed loop's conditions are another set: recorded beside, not instead.
    const both = recordPass(once, { generation: 1, verdict }, '2026-01-02T00:00:00.000Z');
    expect(types(both)).toEqual(['Degraded=False', 'MailDegraded=False', 'MailProgressing=False', 'MailReady=True', 'Progressing=False', 'Ready=True']);
  });
});
