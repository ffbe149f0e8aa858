/**
 * Options are checked when a loop (or a queue, a resync, a backoff) is defined: a loop that cannot
 * run is refused before it starts, naming the option and the fix. Every numeric option is tried at 0,
 * negative, NaN, Infinity and above 2³¹ − 1; misspelt options are named with the nearest known one.
 */
import { describe, expect, it } from 'vitest';
import { Backoff, InvalidArgumentError, createMemoryStore, defineLoop } from 'rx-reconcile';
import { resync, retryWithBackoff, watchRequests, workQueue } from 'rx-reconcile/operators';

const store = createMemoryStore();
const base = { name: 'x', store, kind: 'T', reconcile: () => undefined } as const;
const BIG = 2 ** 31 + 5;

/** [option, value, accepted?] for the numeric options of a loop. */
const numeric: [string, unknown, boolean][] = [];
for (const [option, zero, big] of [
  ['workers', false, false],
  ['resync', false, true],
  ['timeout', false, true],
  ['convergenceDeadline', false, true],
  ['dependencyInterval', true, true],
  ['conflictRetries', true, false],
  ['timeSlice', false, true],
  ['agingEvery', false, false],
] as const) {
  numeric.push([option, 0, zero], [option, -1, false], [option, Number.NaN, false], [option, Number.POSITIVE_INFINITY, false], [option, BIG, big]);
  numeric.push([option, '5', false]);
}

describe('defineLoop refuses bad numeric options before it starts', () => {
  for (const [option, value, accepted] of numeric) {
    it(`${option}: ${String(value)} is ${accepted ? 'accepted' : 'refused, naming the option'}`, () => {
      const define = () => defineLoop({ ...base, [option]: value } as never);
      if (accepted) {
        const loop = define();
        void loop.stop();
      } else {
        expect(define).toThrow(InvalidArgumentError);
        expect(define).toThrow(new RegExp(`${option} must be`));
      }
    });
  }

  it('conflictRetries above 100 is refused (it once saturated a 255 counter and became unbounded)', () => {
    expect(() => defineLoop({ ...base, conflictRetries: 1000 })).toThrow(/conflictRetries must be an integer from 0 to 100 \(got 1000\)/);
  });

  it('workers: 0 is refused at definition, not after start inside results$', () => {
    expect(() => defineLoop({ ...base, workers: 0 })).toThrow(/workers must be an integer from 1 to 100000 \(got 0\)/);
  });

  it('hotKeys limits are checked too', () => {
    expect(() => defineLoop({ ...base, hotKeys: { perSecond: 0 } })).toThrow(/hotKeys\.perSecond/);
    expect(() => defineLoop({ ...base, hotKeys: { after: 64 } })).toThrow(/hotKeys\.after/);
    expect(() => defineLoop({ ...base, hotKeys: { rate: 5 } as never })).toThrow(/unknown option "hotKeys\.rate"/);
  });
});

describe('defineLoop names misspelt options and what to do', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['finaliser', { finaliser: { name: 'f', cleanup: () => undefined } }, /unknown option "finaliser": did you mean "finalizer"\?/],
    ['resyncPeriod', { resyncPeriod: 1000 }, /unknown option "resyncPeriod": did you mean "resync"\?/],
    ['worker', { worker: 2 }, /unknown option "worker": did you mean "workers"\?/],
    ['a made-up key', { colour: 'blue' }, /unknown option "colour" \(known: /],
    ['a finalizer without cleanup in reconcile style', { finalizer: { name: 'f' } }, /finalizer\.cleanup is required with reconcile/],
    ['a finalizer with an empty name', { finalizer: { name: '', cleanup: () => undefined } }, /finalizer\.name must be the finalizer name/],
    ['a misspelt finalizer field', { finalizer: { name: 'f', clean: () => undefined } }, /unknown option "finalizer\.clean"/],
    ['a backoff built by hand without kind', { backoff: { initial: 100 } }, /backoff/],
    ['a backoff with a NaN delay', { backoff: { kind: 'constant', delay: Number.NaN, steps: 2 } }, /backoff/],
    ['dependencies that are not kinds', { dependencies: [5] }, /dependencies\.0/],
    ['triggers that are not Observables', { triggers: [['a']] }, /triggers\.0 must be an Observable/],
    ['a logger without child()', { logger: { info: () => undefined } }, /logger must be a pino-compatible logger/],
    ['a scheduler that is not one', { scheduler: {} }, /scheduler must be a SchedulerLike/],
    ['filter that is not a function', { filter: true }, /filter must be a function/],
  ];
  for (const [what, extra, message] of cases) {
    it(`${what}`, () => {
      expect(() => defineLoop({ ...base, ...extra } as never)).toThrow(message);
      expect(() => defineLoop({ ...base, ...extra } as never)).toThrow(InvalidArgumentError);
    });
  }

  it('phase loops may leave cleanup out (their phases run against an absent desired state)', () => {
    const loop = defineLoop({ name: 'p', store, kind: 'T', observe: () => 0, compare: () => [], correct: () => undefined, finalizer: { name: 'f' } });
    void loop.stop();
  });
});

describe('the operators check their options where they are made', () => {
  it('workQueue refuses workers: 0 and unknown keys when the operator is made (not on subscribe)', () => {
    expect(() => workQueue(() => undefined, { workers: 0 })).toThrow(/workQueue: workers must be an integer/);
    expect(() => workQueue(() => undefined, { timout: 5 } as never)).toThrow(/did you mean "timeout"/);
    expect(() => workQueue('nope' as never)).toThrow(/work must be a function/);
  });

  it('resync refuses NaN, 0, negative and Infinity periods and a missing keys function', () => {
    for (const every of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resync({ every, keys: () => [] })).toThrow(/resync: every must be a finite period in ms > 0/);
    }
    expect(() => resync({ every: 10 } as never)).toThrow(/keys must be a function/);
    expect(() => resync({ every: 10, keys: () => [], period: 5 } as never)).toThrow(/unknown option "period"/);
  });

  it('watchRequests and retryWithBackoff refuse unknown options', () => {
    expect(() => watchRequests(store, 'T', { filtr: () => true } as never)).toThrow(/did you mean "filter"/);
    expect(() => retryWithBackoff(Backoff.defaultPolicy, { forevr: true } as never)).toThrow(/did you mean "forever"/);
    expect(() => retryWithBackoff({ kind: 'constant' } as never)).toThrow(/retryWithBackoff: policy\.delay/);
  });

  it('loop.stop refuses a bad deadline before anything changes, and the loop keeps running', async () => {
    const loop = defineLoop({ ...base, name: 'stopper' });
    for (const deadline of [-1, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      expect(() => loop.stop({ deadline: deadline as number })).toThrow(/deadline must be a finite number of ms ≥ 0/);
    }
    expect(loop.health().state).not.toBe('stopping');
    await loop.whenIdle();
    expect(loop.trigger('a')).toBe(true);
    await loop.stop();
    expect(loop.health()).toMatchObject({ alive: false, state: 'stopped' });
  });
});
