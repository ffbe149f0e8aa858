import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { BudgetExceeded, copyPlain } from '../src/plain-data.js';

/**
 * `copyPlain` builds the path of the value it is copying only when it has an error to report (a
 * store copies every part of every write, and most never fail), and can freeze the copy as it builds
 * it. These guard what that invites: an error naming the wrong place, a path function called on the
 * happy path, a copy left partly unfrozen, and a frozen copy where the caller asked for none.
 */
describe('copyPlain', () => {
  it('names the exact place of a bad value through objects and arrays', () => {
    const value = { items: [{ ok: 1 }, { ok: 2 }, { nested: { list: [0, 1, new Date(0)] } }] };
    expect(() => copyPlain(value, 'Doc "d" spec')).toThrow(/^Doc "d" spec\.items\[2\]\.nested\.list\[2\] must be plain JSON data .* holds a Date/);
    expect(() => copyPlain({ a: [1, Number.NaN] }, 'spec')).toThrow(/^spec\.a\[1\] must be plain JSON data/);
    expect(() => copyPlain({ a: { f: () => 1 } }, 'spec')).toThrow(/^spec\.a\.f must be plain JSON data .* a function/);
  });

  it('names the key that closes a cycle, and the place the budget ran out', () => {
    const cyclic: Record<string, unknown> = { list: [{ x: 1 }] };
    ((cyclic['list'] as unknown[])[0] as Record<string, unknown>)['up'] = cyclic;
    expect(() => copyPlain(cyclic, 'spec')).toThrow(/^spec\.list\[0\]\.up refers back to one of its own parents/);
    let thrown: unknown;
    try {
      copyPlain({ small: 'a', big: ['b', 'x'.repeat(100)] }, 'spec', { used: 0, limit: 50 });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(BudgetExceeded);
    expect((thrown as BudgetExceeded).path).toBe('spec.big[1]');
  });

  it('names the index of an item after a hole (an undefined item copied as null)', () => {
    expect(copyPlain({ a: [1, undefined, { three: null }] }, 'holes')).toEqual({ a: [1, null, { three: null }] });
    expect(() => copyPlain({ a: [1, undefined, Symbol('s')] }, 'holes')).toThrow(/^holes\.a\[2\] must be plain JSON data .* a symbol/);
  });

  it('with freeze, every object and array of the copy is frozen; without, none is', () => {
    const isDeepFrozen = (v: unknown): boolean =>
      typeof v !== 'object' || v === null || (Object.isFrozen(v) && Object.values(v).every(isDeepFrozen));
    const noneFrozen = (v: unknown): boolean =>
      typeof v !== 'object' || v === null || (!Object.isFrozen(v) && Object.values(v).every(noneFrozen));
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const frozen = copyPlain(value, 'v', undefined, true);
        const loose = copyPlain(value, 'v');
        // What JSON gives back: the copy stores -0 as 0 (fast-check's jsonValue does make -0).
        expect(frozen).toEqual(JSON.parse(JSON.stringify(value)));
        expect(loose).toEqual(frozen);
        expect(isDeepFrozen(frozen)).toBe(true);
        expect(noneFrozen(loose)).toBe(true);
      }),
    );
  });

  it('a __proto__ key stays an own data property in a frozen copy', () => {
    const copied = copyPlain(JSON.parse('{"__proto__":{"polluted":true}}') as object, 'spec', undefined, true);
    expect(Object.getPrototypeOf(copied)).toBe(Object.prototype);
    expect(Object.keys(copied)).toEqual(['__proto__']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  it('refuses what is not plain with InvalidArgumentError', () => {
    expect(() => copyPlain(new Map(), 'm')).toThrow(InvalidArgumentError);
    expect(() => copyPlain(new Map(), 'm')).toThrow(/^m must be plain JSON data .* a Map/);
  });
});
