/**
 * `deepEqual`: JSON data by own keys (a `constructor` key is data), and the values streams carry
 * beyond JSON. Regression: two Maps or two Sets always compared equal (only `Object.keys` was read),
 * so a stream loop missed a changed `Set` value and kept the old one; a value with a cycle
 * overflowed the stack and dropped its whole emission.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deepEqual } from 'rx-reconcile';

describe('deepEqual', () => {
  it('is true for a JSON value and its copy, and false once any leaf differs (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(deepEqual(value, structuredClone(value))).toBe(true);
        expect(deepEqual({ v: value }, { v: value, extra: 1 })).toBe(false);
      }),
    );
  });

  it('compares Maps and Sets by content (they used to be always equal)', () => {
    expect(deepEqual(new Set([80]), new Set([80, 443]))).toBe(false);
    expect(deepEqual(new Set([80, 443]), new Set([443, 80]))).toBe(true);
    expect(deepEqual(new Set([80, 443]), new Set([80, 8080]))).toBe(false);
    expect(deepEqual(new Set([{ a: 1 }, { a: 2 }]), new Set([{ a: 2 }, { a: 1 }]))).toBe(true);
    expect(deepEqual(new Set([{ a: 1 }, { a: 1 }]), new Set([{ a: 1 }, { a: 2 }]))).toBe(false);
    expect(deepEqual(new Map([['a', { x: 1 }]]), new Map([['a', { x: 1 }]]))).toBe(true);
    expect(deepEqual(new Map([['a', { x: 1 }]]), new Map([['a', { x: 2 }]]))).toBe(false);
    expect(deepEqual(new Map([['a', 1]]), new Map([['b', 1]]))).toBe(false);
    expect(deepEqual(new Map(), {})).toBe(false);
    expect(deepEqual(new Set(), [])).toBe(false);
  });

  it('compares dates, regular expressions, typed arrays and class instances', () => {
    expect(deepEqual(new Date(5), new Date(5))).toBe(true);
    expect(deepEqual(new Date(5), new Date(6))).toBe(false);
    expect(deepEqual(new Date(5), {})).toBe(false);
    expect(deepEqual(/a/g, /a/g)).toBe(true);
    expect(deepEqual(/a/g, /a/i)).toBe(false);
    expect(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    class Port {
      readonly n: number;
      constructor(n: number) {
        this.n = n;
      }
    }
    class Other {
      readonly n: number;
      constructor(n: number) {
        this.n = n;
      }
    }
    expect(deepEqual(new Port(1), new Port(1))).toBe(true);
    expect(deepEqual(new Port(1), new Port(2))).toBe(false);
    expect(deepEqual(new Port(1), new Other(1))).toBe(false);
    expect(deepEqual(new Port(1), { n: 1 })).toBe(false);
    expect(deepEqual(Object.assign(Object.create(null), { n: 1 }), { n: 1 })).toBe(true);
  });

  it('compares values with cycles without overflowing the stack', () => {
    const cycle = (n: number) => {
      const value: { n: number; self?: unknown; list: unknown[] } = { n, list: [] };
      value.self = value;
      value.list.push(value);
      return value;
    };
    expect(deepEqual(cycle(1), cycle(1))).toBe(true);
    expect(deepEqual(cycle(1), cycle(2))).toBe(false);
  });

  it('reads only own keys: constructor, valueOf and toString are data', () => {
    expect(deepEqual(JSON.parse('{"constructor":{"x":1}}'), JSON.parse('{"constructor":{"x":1}}'))).toBe(true);
    expect(deepEqual(JSON.parse('{"valueOf":1}'), JSON.parse('{"valueOf":2}'))).toBe(false);
    expect(deepEqual(JSON.parse('{"__proto__":{"a":1}}'), JSON.parse('{"__proto__":{"a":1}}'))).toBe(true);
  });
});
