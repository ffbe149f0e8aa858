/**
 * Seeded randomness for the testing kit: every fault and every generated choice of a simulation
 * draws from a generator derived from the run's seed, so a failing run replays exactly.
 *
 * @module
 */
import { Backoff } from '../src/index.js';

/**
 * A source of numbers in [0, 1), like `Math.random`, but reproducible.
 *
 * ## Example
 * ```ts
 * const random: Random = seededRandom(1);
 * ```
 */
export type Random = () => number;

/**
 * A deterministic generator for `seed`, kept apart from other users of the same seed by `salt`
 * (so the store's faults and the world's faults of one run draw independent sequences).
 *
 * Use it when you write your own fault injector or simulated dependency and want it replayable
 * from the run's seed.
 *
 * ## Example
 * ```ts
 * import { seededRandom } from 'rx-reconcile/testing';
 *
 * const random = seededRandom(42, 'my-api');
 * if (random() < 0.1) throw new Error('injected');
 * ```
 */
export function seededRandom(seed: number, salt = ''): Random {
  let h = Math.trunc(seed) >>> 0;
  for (let i = 0; i < salt.length; i++) {
    h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193) >>> 0;
  }
  return Backoff.seededRandom(h);
}
