/**
 * Convergence deadline (G7): a key whose desired revision is not verified converged within the
 * deadline is marked degraded (log + status condition) and keeps being reconciled. Virtual time.
 */
import { describe, expect, it } from 'vitest';
import { Backoff, Outcome, TransientError, createMemoryStore, defineLoop, getCondition } from 'rx-reconcile';
import type { Key, ReconcileStatus } from 'rx-reconcile';
import { Clock, queueHarness, recordingLogger } from './helpers.js';

describe('convergence deadline, in the queue', () => {
  it('reports a key once per revision when it has not converged within the deadline, and keeps running it', () => {
    const overdue: string[] = [];
    const starts: number[] = [];
    let healthy = false;
    const q = queueHarness(
      (scheduler) => () => {
        starts.push(scheduler.now());
        if (!healthy) throw new TransientError('down');
      },
      {
        convergenceDeadline: 10_000,
        backoff: Backoff.constant({ delay: 3000, steps: 100 }),
        hooks: { onOverdue: (key: Key, since: number, revision: number | undefined) => void overdue.push(`${q.scheduler.now()}:${key}:${since}:${revision}`) },
      },
    );
    q.add({ key: 'a', reason: 'watch', revision: 2 });
    q.runTo(9_999);
    expect(overdue).toEqual([]);
    q.runTo(10_000);
    expect(overdue).toEqual(['10000:a:0:2']);
    expect(q.control.snapshot().delayed).toMatchObject([{ key: 'a', overdue: true }]);
    q.runTo(19_999);
    expect(starts).toEqual([0, 3000, 6000, 9000, 12000, 15000, 18000]); // still reconciled
    expect(overdue).toHaveLength(1);

    // A new revision restarts the clock.
    q.runTo(20_000);
    q.add({ key: 'a', reason: 'watch', revision: 4 });
    q.runTo(29_999);
    expect(overdue).toHaveLength(1);
    q.runTo(30_000);
    expect(overdue).toEqual(['10000:a:0:2', '30000:a:20000:4']);

    // Converging stops it.
    healthy = true;
    q.runTo(40_000);
    expect(q.results.at(-1)?.outcome.type).toBe('converged');
    expect(q.control.snapshot().counters.overdue).toBe(2);
  });

  it('never fires for keys that converge in time, and costs no timer once none is converging', () => {
    const overdue: string[] = [];
    const q = queueHarness(
      (scheduler) => (request) => {
        if (request.key === 'slow' && scheduler.now() < 9000) throw new TransientError('not yet');
      },
      {
        convergenceDeadline: 10_000,
        backoff: Backoff.constant({ delay: 3000, steps: 10 }),
        hooks: { onOverdue: (key: Key) => void overdue.push(key) },
      },
    );
    q.add('fast');
    q.add('slow');
    q.runTo(100_000);
    expect(overdue).toEqual([]);
    expect(q.scheduler.actions).toHaveLength(0);
  });
});

describe('convergence deadline, in a loop', () => {
  it('logs an error at the deadline, writes Degraded=True on the next pass, keeps reconciling, and clears on convergence', async () => {
    const clock = new Clock();
    const store = createMemoryStore({ scheduler: clock.scheduler });
    await store.create('Job', { metadata: { name: 'j' }, spec: {} });
    const { logger, lines } = recordingLogger();
    const loggedAt: number[] = [];
    const spy = {
      ...logger,
      error: (fields: Record<string, unknown>, message: string) => {
        loggedAt.push(clock.now());
        logger.error(fields, message);
      },
      child: (bindings: Record<string, unknown>) => {
        const child = logger.child(bindings);
        return { ...child, error: (f: Record<string, unknown>, m: string) => (loggedAt.push(clock.now()), child.error(f, m)) };
      },
    };
    let healthy = false;
    const loop = defineLoop<unknown, ReconcileStatus>({
      name: 'jobs',
      store,
      kind: 'Job',
      scheduler: clock.scheduler,
      logger: spy,
      convergenceDeadline: 10_000,
      backoff: Backoff.constant({ delay: 3000, steps: 100 }),
      reconcile: () => (healthy ? Outcome.converged() : Outcome.retry(new TransientError('still provisioning'))),
    });
    const degraded = async () => getCondition((await store.get<unknown, ReconcileStatus>('Job', 'j'))?.status, 'Degraded');
    await clock.advance(9_999);
    expect(await degraded()).toMatchObject({ status: 'False' });
    await clock.advance(1);
    const line = lines.find((l) => l.message === 'Convergence deadline exceeded');
    expect(line).toMatchObject({ level: 'error', fields: { loop: 'jobs', key: 'j', since: new Date(0).toISOString(), deadlineMs: 10_000 } });
    expect(loggedAt).toContain(10_000);
    await clock.advance(2_000); // the next pass (12 s) writes it
    expect(await degraded()).toMatchObject({
      status: 'True',
      reason: 'ConvergenceDeadlineExceeded',
      message: `generation 1 has not converged since ${new Date(0).toISOString()}; the loop keeps reconciling it`,
      lastTransitionTime: new Date(12_000).toISOString(),
    });
    healthy = true;
    await clock.advance(3_000);
    expect(await degraded()).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(getCondition((await store.get<unknown, ReconcileStatus>('Job', 'j'))?.status, 'Ready')).toMatchObject({ status: 'True' });
    expect(lines.filter((l) => l.message === 'Convergence deadline exceeded')).toHaveLength(1);
    await loop.stop();
  });
});
