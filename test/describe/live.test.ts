/**
 * Measured figures next to the declared ones, from loops run in virtual time: time to converge p50 /
 * p99 (watchLoops over results$), passes, failure rates per class, parked keys and what a person
 * should do about them.
 */
import { describe, expect, it } from 'vitest';
import { Subject } from 'rxjs';
import { Backoff, Outcome, PermanentError, TransientError, createMemoryStore, defineLoop, describeLoops, watchLoops } from 'rx-reconcile';
import type { Loop, PassResult } from 'rx-reconcile';
import type { ReconcileRequest } from '../../src/types.js';
import { SimulationScheduler } from 'rx-reconcile/testing';

/**
 * `ok` converges at once, `flaky` fails twice (transient, constant 1 s backoff) then converges,
 * `bad` fails permanently and is parked.
 */
async function scenario(run: (loop: Loop, watch: ReturnType<typeof watchLoops>, scheduler: SimulationScheduler) => Promise<void>): Promise<void> {
  const scheduler = new SimulationScheduler();
  const store = createMemoryStore({ scheduler });
  const attempts = new Map<string, number>();
  const loop = defineLoop({
    name: 'jobs',
    store,
    scheduler,
    kind: 'Job',
    backoff: Backoff.constant({ delay: 1000, steps: 5 }),
    convergenceDeadline: 60_000,
    reconcile: async (request) => {
      const n = (attempts.get(request.key) ?? 0) + 1;
      attempts.set(request.key, n);
      if (request.key === 'flaky' && n <= 2) throw new TransientError('the disk was busy');
      if (request.key === 'bad') throw new PermanentError('bad input: size must be positive');
      return Outcome.converged();
    },
  });
  const watch = watchLoops([loop]);
  try {
    await scheduler.runUntil(10);
    for (const name of ['ok', 'flaky', 'bad']) await store.create('Job', { metadata: { name }, spec: {} });
    await scheduler.runUntil(10_000);
    await run(loop, watch, scheduler);
  } finally {
    watch.stop();
    const stopped = loop.stop();
    await scheduler.runUntil(20_000);
    await stopped;
  }
}

describe('live figures', () => {
  it('print time to converge, passes, failure rates and parked keys next to the declared behaviour', async () => {
    await scenario(async (loop, watch) => {
      const markdown = describeLoops([loop], { live: watch });
      // ok: 0 ms, 1 pass; flaky: fails at t, t+1 s, converges at t+2 s (3 passes); bad: parked, pending.
      expect(markdown).toContain('- **Measured**: time to converge p50 0 ms, p99 2 s, max 2 s over 2 revision(s); passes per convergence p50 1, max 3; 5 pass(es), 0 overdue, 1 revision(s) converging now');
      expect(markdown).toMatch(/^\| `jobs` \| .* \| on change only \(no resync\); deadline 1 min; measured p50 0 ms, p99 2 s \| /m);
      expect(markdown).toContain('| transient | yes | retry with backoff; quarantined after 5 retries | `TransientError`, `TimeoutError`, any other error or non-Error throw | 2 (40 %) |');
      expect(markdown).toContain('| permanent | no | park the key (terminal), log at error, until its desired state changes or it is released | `PermanentError`, `ValidationError`, `ResourceTooLargeError`, `MalformedResourceError`, `Outcome.terminal` | 1 (20 %) |');
      expect(markdown).toContain('| conflict | yes | observe again and retry at once, up to 3 times in a row, then as transient | `ConflictError` (stale `metadata.version`), `AlreadyExistsError`, `NotFoundError` | 0 (0 %) |');
      expect(markdown).toContain('- **Measured**: 1 key(s) parked now: `bad` (terminal, 1 failure(s): `bad input: size must be positive`); 0 quarantined and 0 released so far.');
      expect(markdown).toMatch(/^[-*] \*\*Measured\*\*: `bad` is terminal \(`bad input: size must be positive`\): fix its desired state, or release it — `loop\.release\("bad"\)`$/m);
      expect(markdown).toContain('- **Measured**: 5 pass(es): 2 converged, 0 requeued, 2 retried, 1 terminal, 0 waiting; queue depth 0, 0 delayed, 1 parked.');
    });
  });

  it('prints them in Chinese too', async () => {
    await scenario(async (loop, watch) => {
      const markdown = describeLoops([loop], { live: watch, language: 'zh' });
      expect(markdown).toContain('- **实测**：收敛时间 p50 0 毫秒，p99 2 秒，最大 2 秒（共 2 个版本）；每次收敛所需协调次数 p50 1，最大 3；共 5 次协调，0 个超期，1 个版本正在收敛');
      expect(markdown).toContain('- **实测**：当前有 1 个 key 被搁置：`bad`（terminal，失败 1 次：`bad input: size must be positive`）；累计隔离 0 次，释放 0 次。');
    });
  });

  it('follow the loop: a release is counted, and a key that is still bad is parked again', async () => {
    await scenario(async (loop, watch, scheduler) => {
      expect(describeLoops([loop], { live: watch })).not.toContain('nothing needs a person now');
      // `bad` stays bad: a release runs it once more and it is parked again; the counters say so.
      loop.release('bad');
      await scheduler.runUntil(12_000);
      const markdown = describeLoops([loop], { live: watch });
      expect(markdown).toContain('0 quarantined and 1 released so far.');
      expect(markdown).toContain('| permanent | no |');
      expect(markdown).toMatch(/\| `PermanentError`, `ValidationError`, `ResourceTooLargeError`, `MalformedResourceError`, `Outcome.terminal` \| 2 \(33\.33 %\) \|/);
    });
  });

  it('read the loop\'s own state with live: true, and say that time to converge was not recorded', async () => {
    await scenario(async (loop) => {
      const markdown = describeLoops([loop], { live: true });
      expect(markdown).toContain('- **Measured**: time to converge not recorded (describe with `live: watchLoops(loops)` started before the changes); 5 pass(es), 0 overdue, 0 revision(s) converging now');
      expect(markdown).toContain('1 key(s) parked now: `bad`');
    });
  });

  it('are absent without live: the document is a function of the definition and usage', async () => {
    await scenario(async (loop) => {
      const markdown = describeLoops([loop]);
      expect(markdown).not.toContain('**Measured**:');
      expect(markdown).not.toContain('(share of passes)');
    });
  });
});

function result(key: string, revision: number | undefined, type: 'converged' | 'retry' | 'requeueAfter', startedAt: number, finishedAt = startedAt, reason: ReconcileRequest['reason'] = 'watch'): PassResult {
  const outcome = type === 'converged' ? Outcome.converged() : type === 'requeueAfter' ? Outcome.requeueAfter(1000) : Outcome.retry(new TransientError('x'));
  return {
    key,
    reconcileId: `${key}-${startedAt}`,
    request: revision === undefined ? { key, reason } : { key, reason, revision },
    outcome,
    failureClass: type === 'retry' ? 'transient' : undefined,
    failures: 0,
    startedAt,
    finishedAt,
    nextAttemptAt: undefined,
    parked: undefined,
    aborted: false,
  };
}

describe('watchLoops', () => {
  function feed(results: PassResult[], maxSamples?: number) {
    const results$ = new Subject<PassResult>();
    const watch = watchLoops([{ name: 'l', results$ }], maxSamples === undefined ? {} : { maxSamples });
    for (const r of results) results$.next(r);
    return { watch, results$ };
  }

  it('measures from the first pass of a desired revision to the pass that converges it (retries and waits included)', () => {
    const { watch } = feed([result('a', 2, 'retry', 0, 10), result('a', undefined, 'retry', 1010, 1020), result('a', undefined, 'converged', 3020, 3030)]);
    expect(watch.convergence('l')).toEqual({ converged: 1, pending: 0, timeToConverge: { count: 1, p50: 3030, p99: 3030, max: 3030 }, passesToConverge: { count: 1, p50: 3, p99: 3, max: 3 } });
  });

  it('does not count a resync pass of a converged revision, but counts a failing one until it converges again', () => {
    const { watch } = feed([
      result('a', 2, 'converged', 0, 5),
      result('a', undefined, 'converged', 60_000, 60_001, 'resync'),
      result('a', 2, 'converged', 61_000, 61_001),
    ]);
    expect(watch.convergence('l')?.converged).toBe(1);
    const { watch: failing } = feed([result('a', 2, 'converged', 0), result('a', undefined, 'retry', 100, 100, 'resync'), result('a', undefined, 'converged', 1100, 1100)]);
    expect(failing.convergence('l')?.timeToConverge).toEqual({ count: 2, p50: 0, p99: 1000, max: 1000 });
  });

  it('restarts the clock for a newer revision, counts requeueAfter as converged, and forgets a key whose deletion converged', () => {
    const { watch } = feed([
      result('a', 2, 'retry', 0),
      result('a', 4, 'retry', 500), // a newer spec arrives while the first is failing: the clock restarts
      result('a', 4, 'requeueAfter', 800),
      result('b', 5, 'converged', 900), // deletion (odd revision)
    ]);
    const figures = watch.convergence('l');
    expect(figures?.timeToConverge).toEqual({ count: 2, p50: 0, p99: 300, max: 300 });
    expect(figures?.pending).toBe(0);
  });

  it('keeps the most recent maxSamples and takes nearest-rank percentiles', () => {
    const results = Array.from({ length: 200 }, (_, i) => result(`k${i}`, 2, 'converged', 0, i + 1));
    const { watch } = feed(results, 100);
    // Samples 101…200 ms remain: p50 = the 50th = 150, p99 = the 99th = 199.
    expect(watch.convergence('l')?.timeToConverge).toEqual({ count: 100, p50: 150, p99: 199, max: 200 });
    expect(watch.convergence('l')?.converged).toBe(200);
  });

  it('stops recording on stop(), and refuses a bad maxSamples', () => {
    const { watch, results$ } = feed([result('a', 2, 'converged', 0, 1)]);
    watch.stop();
    results$.next(result('b', 2, 'converged', 0, 5));
    expect(watch.convergence('l')?.converged).toBe(1);
    expect(watch.convergence('unknown')).toBeUndefined();
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 31]) {
      expect(() => watchLoops([], { maxSamples: bad }), String(bad)).toThrow(/maxSamples must be an integer from 1 to 10000000/);
    }
  });
});
