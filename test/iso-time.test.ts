import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from '../src/iso-time.js';

/** `isoTime` keeps the last string for the same millisecond; these guard a stale answer. */
describe('isoTime', () => {
  it('is new Date(ms).toISOString() for any sequence of times, repeated or jumping back', () => {
    const time = fc.integer({ min: -8.64e15, max: 8.64e15 });
    fc.assert(
      fc.property(fc.array(fc.oneof(time, fc.constantFrom(0, 1, 1_700_000_000_000)), { maxLength: 30 }), (times) => {
        for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });

  it('a time outside the Date range throws a RangeError every time, as toISOString does', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1]) {
      expect(() => isoTime(bad)).toThrow(RangeError);
      expect(() => isoTime(bad)).toThrow(RangeError);
    }
    expect(isoTime(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});
