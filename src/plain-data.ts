/**
 * Plain JSON data as stores keep it: copied from the caller, checked, measured and deep-frozen.
 *
 * A store never keeps a caller's object: {@link copyPlain} builds fresh objects from objects, arrays,
 * strings, finite numbers, booleans and `null`, and refuses anything else with an error that names
 * the path (a `Date`, a `Map`, a function, `NaN`, a cycle). Keys are data: a `__proto__` key (as
 * `JSON.parse` makes it) stays an own property and never becomes a prototype; `constructor` and
 * `prototype` keys are kept as they are. The copy also measures the data as JSON characters, so a
 * store can refuse oversized resources before storing anything.
 *
 * @module
 */
import { InvalidArgumentError } from './errors.js';

/** A running count of JSON characters across the parts of one resource, with its limit. */
export interface SizeBudget {
  /** JSON characters counted so far. */
  used: number;
  /** Largest number of JSON characters allowed. */
  readonly limit: number;
}

/** Thrown by {@link copyPlain} when the data outgrows its budget; the store turns it into its error. */
export class BudgetExceeded extends Error {
  readonly path: string;
  constructor(path: string) {
    super(`size limit exceeded at ${path}`);
    this.path = path;
  }
}

/**
 * Copies plain data into fresh objects. `undefined` properties are dropped and `undefined` array
 * items become `null`, as in JSON. Anything that is not JSON data, and cycles, are refused with an
 * `InvalidArgumentError` naming the path; with a budget, a `BudgetExceeded` is thrown as soon as the
 * copy is larger than its limit. `path` names the value in those errors; the path of a nested value
 * is built only when there is an error to name it in (a store's writes copy every part, and most
 * never fail). With `freeze`, every copied object and array is frozen as it is built (the copy is then deep-frozen
 * without a second walk).
 */
export function copyPlain<T>(value: T, path: string, budget?: SizeBudget, freeze = false): T {
  const walk: Walk = { base: path, budget, freeze, ancestors: [], steps: [] };
  return copy(value, walk) as T;
}

/** Deepest nesting accepted: deeper data would overflow the stack of every reader that walks it. */
export const MAX_DEPTH = 512;

/** The state of one copy: the objects above the current one and the keys that lead to it. */
interface Walk {
  readonly base: string;
  readonly budget: SizeBudget | undefined;
  readonly freeze: boolean;
  readonly ancestors: object[];
  /** The key or index of each step below the base (a string key or an array index). */
  readonly steps: (string | number)[];
}

/** The path of the value being copied, as `base.key[3].other` (built only for an error). */
function pathOf(walk: Walk): string {
  let path = walk.base;
  for (const step of walk.steps) path += typeof step === 'number' ? `[${step}]` : `.${step}`;
  return path;
}

function copy(value: unknown, walk: Walk): unknown {
  if (value === null) return count(walk, 4, null);
  switch (typeof value) {
    case 'string':
      return count(walk, value.length + 2, value);
    case 'boolean':
      return count(walk, 5, value);
    case 'number':
      if (!Number.isFinite(value)) throw notPlain(pathOf(walk), String(value));
      // JSON has no negative zero (`JSON.stringify(-0)` is "0"): keep what every store can give back.
      return count(walk, 8, value === 0 ? 0 : value);
    case 'object':
      break;
    default:
      throw notPlain(pathOf(walk), `a ${typeof value}`);
  }
  const object = value as object;
  const { ancestors, steps } = walk;
  if (ancestors.includes(object)) {
    throw new InvalidArgumentError(
      `${pathOf(walk)} refers back to one of its own parents (a cycle): stored data must be a tree; copy the shared part instead.`,
    );
  }
  if (ancestors.length >= MAX_DEPTH) {
    throw new InvalidArgumentError(`${pathOf(walk)} is nested deeper than ${MAX_DEPTH} levels: flatten the data before storing it.`);
  }
  ancestors.push(object);
  try {
    if (Array.isArray(object)) {
      count(walk, 2, undefined);
      const out = new Array<unknown>(object.length);
      for (let i = 0; i < object.length; i++) {
        const item: unknown = object[i];
        steps.push(i);
        out[i] = item === undefined ? null : copy(item, walk);
        steps.pop();
      }
      return walk.freeze ? Object.freeze(out) : out;
    }
    const proto = Object.getPrototypeOf(object) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      const name = ownConstructorName(object);
      throw notPlain(pathOf(walk), name === undefined ? 'an object with a prototype' : `a ${name}`);
    }
    count(walk, 2, undefined);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      const child = (object as Record<string, unknown>)[key];
      if (child === undefined) continue;
      count(walk, key.length + 3, undefined);
      steps.push(key);
      const copied = copy(child, walk);
      steps.pop();
      if (key === '__proto__') {
        // An assignment would set the prototype; define it as the own data property it is.
        Object.defineProperty(out, key, { value: copied, enumerable: true, writable: true, configurable: true });
      } else out[key] = copied;
    }
    return walk.freeze ? Object.freeze(out) : out;
  } finally {
    ancestors.pop();
  }
}

function count<T>(walk: Walk, characters: number, value: T): T {
  const budget = walk.budget;
  if (budget !== undefined) {
    budget.used += characters;
    if (budget.used > budget.limit) throw new BudgetExceeded(pathOf(walk));
  }
  return value;
}

/** The name of a class instance's constructor, read without trusting an own `constructor` key. */
function ownConstructorName(value: object): string | undefined {
  const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
  const name = proto?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function notPlain(path: string, found: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${path} must be plain JSON data (objects, arrays, strings, finite numbers, booleans, null), but holds ${found}: ` +
      'store a string (e.g. an ISO date) or a plain object instead.',
  );
}

/** Freezes a value and everything reachable from it through own properties (skips frozen parts). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
