import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { InvalidArgumentError, rateLimit } from 'rx-reconcile';
import { TokenBucket } from '../src/rate-limit.js';

describe('rateLimit', () => {
  it('returns a frozen value', () => {
    const limit = rateLimit({ qps: 10, burst: 100 });
    expect(limit).toEqual({ qps: 10, burst: 100 });
    expect(Object.isFrozen(limit)).toBe(true);
  });

  it('rejects a qps that is not a finite number > 0 and a burst that is not an integer ≥ 1', () => {
    for (const qps of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => rateLimit({ qps, burst: 1 })).toThrow(InvalidArgumentError);
      expect(() => rateLimit({ qps, burst: 1 })).toThrow(/qps must be a finite number > 0/);
    }
    for (const burst of [0, -1, 1.5, Number.NaN]) {
      expect(() => rateLimit({ qps: 1, burst })).toThrow(/burst must be an integer ≥ 1/);
    }
  });
});

describe('TokenBucket', () => {
  it('serves the burst at once, then spaces reservations 1000/qps ms apart', () => {
    const bucket = new TokenBucket(rateLimit({ qps: 10, burst: 100 }), 0);
    for (let i = 0; i < 100; i++) expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(0)).toBe(100);
    expect(bucket.reserve(0)).toBe(200);
    expect(bucket.reserve(0)).toBe(300);
  });

  it('counts queued reservations when time passes', () => {
    const bucket = new TokenBucket(rateLimit({ qps: 10, burst: 1 }), 1000);
    expect(bucket.reserve(1000)).toBe(0);
    expect(bucket.reserve(1000)).toBe(100); // due at 1100
    expect(bucket.reserve(1050)).toBe(150); // due at 1200
    expect(bucket.reserve(1300)).toBe(0); // the refill caught up exactly
    expect(bucket.reserve(1300)).toBe(100);
  });

  it('refills up to the burst and no further', () => {
    const bucket = new TokenBucket(rateLimit({ qps: 1, burst: 3 }), 0);
    for (let i = 0; i < 3; i++) expect(bucket.reserve(0)).toBe(0);
    // an hour idle refills only 3 tokens
    for (let i = 0; i < 3; i++) expect(bucket.reserve(3_600_000)).toBe(0);
    expect(bucket.reserve(3_600_000)).toBe(1000);
  });

  it('rounds waits up to whole milliseconds, never early', () => {
    const bucket = new TokenBucket(rateLimit({ qps: 3, burst: 1 }), 0);
    expect(bucket.reserve(0)).toBe(0);
    expect(bucket.reserve(0)).toBe(334);
    expect(bucket.reserve(0)).toBe(667);
    expect(bucket.reserve(0)).toBe(1000);
  });

  it('treats a time earlier than the last call as the last call', () => {
    const bucket = new TokenBucket(rateLimit({ qps: 10, burst: 1 }), 1000);
    expect(bucket.reserve(1000)).toBe(0);
    // 100 ms after 1000 is 1100, which is 600 ms after 500
    expect(bucket.reserve(500)).toBe(600);
  });

  it('rejects a non-finite time', () => {
    expect(() => new TokenBucket(rateLimit({ qps: 1, burst: 1 }), Number.NaN)).toThrow(InvalidArgumentError);
    const bucket = new TokenBucket(rateLimit({ qps: 1, burst: 1 }), 0);
    expect(() => bucket.reserve(Number.POSITIVE_INFINITY)).toThrow(/now must be a finite time/);
  });

  it('never grants more than burst + qps·elapsed tokens by any time', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 300 }),
        (qps, burst, t0, gaps) => {
          const bucket = new TokenBucket(rateLimit({ qps, burst }), t0);
          const granted: number[] = [];
          let now = t0;
          for (const gap of gaps) {
            now += gap;
            const wait = bucket.reserve(now);
            expect(wait).toBeGreaterThanOrEqual(0);
            expect(Number.isInteger(wait)).toBe(true);
            granted.push(now + wait);
          }
          granted.sort((a, b) => a - b);
          // The count of tokens usable by time t is largest right at each grant time.
          granted.forEach((t, i) => {
            const count = i + 1 + granted.slice(i + 1).filter((u) => u === t).length;
            expect(count).toBeLessThanOrEqual(burst + (qps * (t - t0)) / 1000 + 1e-6);
          });
        },
      ),
    );
  });

  it('waits exactly as long as an integer reference model says (never longer, never early)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 100 }),
        (qps, burst, gaps) => {
          // A reference model in integer arithmetic: tokens are counted in thousandths (qps is integral).
          const bucket = new TokenBucket(rateLimit({ qps, burst }), 0);
          let milli = burst * 1000;
          let last = 0;
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            milli = Math.min(burst * 1000, milli + (now - last) * qps);
            last = now;
            milli -= 1000;
            const expected = milli >= 0 ? 0 : Math.ceil(-milli / qps);
            expect(bucket.reserve(now)).toBe(expected);
          }
        },
      ),
    );
  });
});
