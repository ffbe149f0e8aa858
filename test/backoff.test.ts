import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Backoff, InvalidArgumentError } from 'rx-reconcile';

// ---- arbitraries -----------------------------------------------------------------------------------

const ms = fc.integer({ min: 0, max: 100_000 });
const stepsArb = fc.integer({ min: 1, max: 20 });
const factorArb = fc.double({ min: 1, max: 10, noNaN: true });
const ratioArb = fc.double({ min: 0, max: 1, noNaN: true });
/** Small counts and huge ones, where naive growth overflows. */
const failuresArb = fc.oneof(
  fc.integer({ min: 1, max: 50 }),
  fc.integer({ min: 51, max: 2_000_000_000 }),
  fc.constant(1_000_000),
);
const randomArb = fc.integer().map((seed) => Backoff.seededRandom(seed));

const exponentialArb = fc.record({ initial: ms, factor: factorArb, steps: stepsArb }).map((o) => Backoff.exponential(o));
const linearArb = fc
  .record({ initial: ms, increment: ms, steps: stepsArb })
  .map((o) => Backoff.linear(o));
const constantArb = fc.record({ delay: ms, steps: stepsArb }).map((o) => Backoff.constant(o));
const basePolicyArb = fc.oneof(exponentialArb, linearArb, constantArb);
const policyArb: fc.Arbitrary<Backoff.BackoffPolicy> = fc.letrec<{ policy: Backoff.BackoffPolicy }>((tie) => ({
  policy: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    basePolicyArb,
    fc.tuple(tie('policy'), ratioArb).map(([p, r]) => Backoff.jitter(p, r)),
    fc.tuple(tie('policy'), ms).map(([p, m]) => Backoff.cap(p, m)),
    fc.array(tie('policy'), { minLength: 1, maxLength: 3 }).map((ps) => Backoff.maxOf(...ps)),
  ),
})).policy;

// ---- examples --------------------------------------------------------------------------------------

describe('Backoff policies', () => {
  it('default policy doubles from 1 s and is capped at 60 s with 5 steps', () => {
    expect(Backoff.delays(Backoff.defaultPolicy, 5)).toEqual([1000, 2000, 4000, 8000, 16000]);
    expect(Backoff.delays(Backoff.defaultPolicy, 8)).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    expect(Backoff.steps(Backoff.defaultPolicy)).toBe(5);
    expect(Backoff.defaultPolicy).toEqual(Backoff.exponential({ initial: 1000, factor: 2, steps: 5, cap: 60000 }));
  });

  it('exponential with explicit options gives the exact sequence', () => {
    expect(Backoff.delays(Backoff.exponential({ initial: 1000, factor: 2, steps: 5, cap: 60000 }), 5)).toEqual([
      1000, 2000, 4000, 8000, 16000,
    ]);
    expect(Backoff.delays(Backoff.exponential({ initial: 100, factor: 3 }), 4)).toEqual([100, 300, 900, 2700]);
  });

  it('exponential defaults to factor 2 and 5 steps', () => {
    const p = Backoff.exponential({ initial: 10 });
    expect(p).toEqual({ kind: 'exponential', initial: 10, factor: 2, steps: 5 });
  });

  it('constant repeats its delay', () => {
    expect(Backoff.delays(Backoff.constant({ delay: 250, steps: 3 }), 4)).toEqual([250, 250, 250, 250]);
    expect(Backoff.steps(Backoff.constant({ delay: 250 }))).toBe(5);
  });

  it('linear adds its increment per failure and respects its cap', () => {
    expect(Backoff.delays(Backoff.linear({ initial: 1000, increment: 500 }), 4)).toEqual([1000, 1500, 2000, 2500]);
    expect(Backoff.delays(Backoff.linear({ initial: 1000, increment: 500, cap: 1800 }), 4)).toEqual([
      1000, 1500, 1800, 1800,
    ]);
  });

  it('cap bounds any policy and maxOf takes the largest delay', () => {
    expect(Backoff.delays(Backoff.cap(Backoff.linear({ initial: 0, increment: 1000 }), 1500), 3)).toEqual([0, 1000, 1500]);
    const p = Backoff.maxOf(Backoff.exponential({ initial: 100 }), Backoff.constant({ delay: 1000 }));
    expect(Backoff.delays(p, 5)).toEqual([1000, 1000, 1000, 1000, 1600]);
  });

  it('steps of combinators come from the inner policy, maxOf takes the largest', () => {
    const a = Backoff.constant({ delay: 1, steps: 3 });
    const b = Backoff.exponential({ initial: 1, steps: 7 });
    expect(Backoff.steps(Backoff.jitter(a))).toBe(3);
    expect(Backoff.steps(Backoff.cap(a, 10))).toBe(3);
    expect(Backoff.steps(Backoff.maxOf(a, b))).toBe(7);
    expect(Backoff.steps(Backoff.exponential({ initial: 1, steps: 4, jitter: 0.2, cap: 100 }))).toBe(4);
  });

  it('huge failure counts are clamped instead of overflowing to Infinity or NaN', () => {
    for (const p of [
      Backoff.exponential({ initial: 1000 }),
      Backoff.exponential({ initial: 1000, factor: 10 }),
      Backoff.linear({ initial: 1, increment: 1e12 }),
      Backoff.jitter(Backoff.exponential({ initial: 1000 }), 1),
    ]) {
      const d = Backoff.delayFor(p, 1e6);
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeLessThanOrEqual(Backoff.maxDelay);
    }
    expect(Backoff.delayFor(Backoff.exponential({ initial: 1000 }), 1e6)).toBe(Backoff.maxDelay);
    expect(Backoff.delayFor(Backoff.exponential({ initial: 0 }), 1e6)).toBe(0);
    expect(Backoff.delayFor(Backoff.defaultPolicy, 1e6)).toBe(60000);
  });

  it('the jitter option wraps the policy in jitter inside the cap', () => {
    const p = Backoff.exponential({ initial: 1000, cap: 5000, jitter: 0.5 });
    expect(p.kind).toBe('cap');
    expect(Backoff.exponential({ initial: 1000, jitter: true })).toMatchObject({ kind: 'jitter', ratio: 0.1 });
    expect(Backoff.exponential({ initial: 1000, jitter: false }).kind).toBe('exponential');
    for (const d of Backoff.delays(p, 50, { seed: 7 })) expect(d).toBeLessThanOrEqual(5000);
  });

  it('policies are frozen plain values that survive a JSON round trip', () => {
    const p = Backoff.maxOf(Backoff.jitter(Backoff.defaultPolicy, 0.2), Backoff.cap(Backoff.constant({ delay: 5 }), 3));
    expect(Object.isFrozen(p)).toBe(true);
    if (p.kind !== 'maxOf') throw new Error('unexpected kind');
    expect(Object.isFrozen(p.policies)).toBe(true);
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
  });

  it('describe prints a readable one-liner', () => {
    expect(Backoff.describe(Backoff.defaultPolicy)).toBe('exponential 1000ms ×2 (cap 60000ms, 5 steps)');
    expect(Backoff.describe(Backoff.constant({ delay: 500, steps: 1 }))).toBe('constant 500ms (1 step)');
    expect(Backoff.describe(Backoff.linear({ initial: 1000, increment: 500 }))).toBe('linear 1000ms +500ms (5 steps)');
    expect(Backoff.describe(Backoff.jitter(Backoff.constant({ delay: 100 }), 0.25))).toBe(
      'constant 100ms (5 steps) with ±25% jitter',
    );
    expect(Backoff.describe(Backoff.exponential({ initial: 100, cap: 1000, jitter: 0.1 }))).toBe(
      'exponential 100ms ×2 (cap 1000ms, 5 steps) with ±10% jitter capped at 1000ms',
    );
    expect(Backoff.describe(Backoff.maxOf(Backoff.constant({ delay: 1 }), Backoff.constant({ delay: 2 })))).toBe(
      'max of [constant 1ms (5 steps); constant 2ms (5 steps)]',
    );
  });

  it('seededRandom is deterministic and stays in [0, 1)', () => {
    const a = Backoff.seededRandom(123);
    const b = Backoff.seededRandom(123);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    for (const x of xs) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(Backoff.seededRandom(124)()).not.toBe(Backoff.seededRandom(123)());
  });

  it('rejects invalid options with an InvalidArgumentError naming the option and its range', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => Backoff.exponential({ initial: -1 }), /initial must be a finite number of ms ≥ 0 \(got -1\)/],
      [() => Backoff.exponential({ initial: Number.NaN }), /initial/],
      [() => Backoff.exponential({ initial: Number.POSITIVE_INFINITY }), /initial/],
      [() => Backoff.exponential({ initial: 1, factor: 0.5 }), /factor must be a finite number ≥ 1/],
      [() => Backoff.exponential({ initial: 1, steps: 0 }), /steps must be an integer ≥ 1/],
      [() => Backoff.exponential({ initial: 1, steps: 1.5 }), /steps must be an integer ≥ 1/],
      [() => Backoff.exponential({ initial: 1, cap: -5 }), /cap must be a finite number of ms ≥ 0/],
      [() => Backoff.exponential({ initial: 1, jitter: 2 }), /jitter must be a ratio from 0 to 1/],
      [() => Backoff.constant({ delay: -1 }), /delay must be a finite number of ms ≥ 0/],
      [() => Backoff.linear({ initial: 0, increment: -1 }), /increment must be a finite number of ms ≥ 0/],
      [() => Backoff.jitter(Backoff.defaultPolicy, 1.5), /ratio must be a number in \[0, 1\]/],
      [() => Backoff.jitter(Backoff.defaultPolicy, -0.1), /ratio must be a number in \[0, 1\]/],
      [() => Backoff.cap(Backoff.defaultPolicy, Number.NaN), /max must be a finite number ≥ 0/],
      [() => Backoff.maxOf(), /at least one policy/],
      [() => Backoff.delayFor(Backoff.defaultPolicy, 0), /failures must be an integer ≥ 1/],
      [() => Backoff.delays(Backoff.defaultPolicy, -1), /n must be an integer ≥ 0/],
      // Misspelt options are refused, with the nearest known name.
      [() => Backoff.exponential({ initial: 1, maxDelay: 5 } as never), /unknown option "maxDelay"/],
      [() => Backoff.exponential({ initial: 1, stpes: 5 } as never), /did you mean "steps"/],
      [() => Backoff.constant({ delay: 1, jitter: 0.1 } as never), /unknown option "jitter"/],
      // Hand-built policies are checked at every level.
      [() => Backoff.jitter({ delay: 5 } as never), /policy\.kind is not a valid backoff policy/],
      [() => Backoff.cap({ kind: 'constant', delay: Number.NaN, steps: 1 } as never, 10), /policy\.delay/],
      [() => Backoff.maxOf(Backoff.defaultPolicy, { kind: 'exponential', initial: 1, factor: 2, steps: 0 } as never), /policy\.steps/],
      [() => Backoff.checkPolicy('loop', { kind: 'linear', initial: 1, increment: -1, steps: 2 } as never), /policy\.increment/],
    ];
    for (const [fn, message] of cases) {
      expect(fn).toThrow(InvalidArgumentError);
      expect(fn).toThrow(message);
    }
  });
});

// ---- properties ------------------------------------------------------------------------------------

describe('Backoff properties', () => {
  it('every delay is an integer in [0, maxDelay], for any policy and failure count', () => {
    fc.assert(
      fc.property(policyArb, failuresArb, randomArb, (p, n, random) => {
        const d = Backoff.delayFor(p, n, random);
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(Backoff.maxDelay);
      }),
    );
  });

  it('a delay never exceeds the cap, with or without jitter, for any failure count', () => {
    fc.assert(
      fc.property(
        ms,
        factorArb,
        ms,
        fc.option(ratioArb, { nil: undefined }),
        failuresArb,
        randomArb,
        (initial, factor, capMs, ratio, n, random) => {
          const p = Backoff.exponential(
            ratio === undefined ? { initial, factor, cap: capMs } : { initial, factor, cap: capMs, jitter: ratio },
          );
          expect(Backoff.delayFor(p, n, random)).toBeLessThanOrEqual(capMs);
        },
      ),
    );
    fc.assert(
      fc.property(policyArb, ms, failuresArb, randomArb, (p, capMs, n, random) => {
        expect(Backoff.delayFor(Backoff.cap(p, capMs), n, random)).toBeLessThanOrEqual(capMs);
        expect(Backoff.delayFor(Backoff.cap(Backoff.jitter(p, 1), capMs), n, random)).toBeLessThanOrEqual(capMs);
      }),
    );
  });

  it('exponential and linear delays never decrease without jitter', () => {
    const capped = fc.tuple(fc.oneof(exponentialArb, linearArb), fc.option(ms, { nil: undefined })).map(([p, c]) =>
      c === undefined ? p : Backoff.cap(p, c),
    );
    fc.assert(
      fc.property(capped, fc.integer({ min: 1, max: 200 }), (p, n) => {
        const ds = Backoff.delays(p, n);
        for (let i = 1; i < ds.length; i++) expect(ds[i]).toBeGreaterThanOrEqual(ds[i - 1] ?? 0);
        // and the same holds far out, across the overflow clamp
        expect(Backoff.delayFor(p, 1e6)).toBeGreaterThanOrEqual(ds[ds.length - 1] ?? 0);
      }),
    );
  });

  it('jitter stays within ±ratio of the unjittered delay', () => {
    fc.assert(
      fc.property(basePolicyArb, ratioArb, failuresArb, randomArb, (p, ratio, n, random) => {
        const plain = Backoff.delayFor(p, n);
        const jittered = Backoff.delayFor(Backoff.jitter(p, ratio), n, random);
        // ±1 ms for rounding of both values to whole milliseconds
        expect(Math.abs(jittered - plain)).toBeLessThanOrEqual(ratio * plain + 1);
      }),
    );
  });

  it('jitter actually spreads delays', () => {
    const ds = Backoff.delays(Backoff.jitter(Backoff.constant({ delay: 10_000 }), 0.5), 100, { seed: 3 });
    expect(new Set(ds).size).toBeGreaterThan(50);
    expect(Math.min(...ds)).toBeLessThan(7_500);
    expect(Math.max(...ds)).toBeGreaterThan(12_500);
  });

  it('delays are deterministic for a given seed', () => {
    fc.assert(
      fc.property(policyArb, fc.integer({ min: 0, max: 30 }), fc.integer(), (p, n, seed) => {
        expect(Backoff.delays(p, n, { seed })).toEqual(Backoff.delays(p, n, { seed }));
        expect(Backoff.delays(p, n, { seed })).toHaveLength(n);
      }),
    );
    const p = Backoff.jitter(Backoff.defaultPolicy, 0.5);
    expect(Backoff.delays(p, 10)).toEqual(Backoff.delays(p, 10, { seed: 1 }));
    expect(Backoff.delays(p, 10, { seed: 2 })).not.toEqual(Backoff.delays(p, 10, { seed: 1 }));
  });

  it('maxOf is at least each of its inputs', () => {
    fc.assert(
      fc.property(fc.array(basePolicyArb, { minLength: 1, maxLength: 4 }), failuresArb, (ps, n) => {
        const d = Backoff.delayFor(Backoff.maxOf(...ps), n);
        for (const p of ps) expect(d).toBeGreaterThanOrEqual(Backoff.delayFor(p, n));
        expect(ps.map((p) => Backoff.delayFor(p, n))).toContain(d);
        expect(Backoff.steps(Backoff.maxOf(...ps))).toBe(Math.max(...ps.map(Backoff.steps)));
      }),
    );
  });

  it('without jitter, delays match the closed formulas below the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 12 }),
        (initial, factor, n) => {
          expect(Backoff.delayFor(Backoff.exponential({ initial, factor }), n)).toBe(
            Math.min(initial * factor ** (n - 1), Backoff.maxDelay),
          );
          expect(Backoff.delayFor(Backoff.linear({ initial, increment: factor * 100 }), n)).toBe(
            initial + factor * 100 * (n - 1),
          );
        },
      ),
    );
  });
});
