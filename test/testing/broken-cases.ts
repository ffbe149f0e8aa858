/**
 * How broken-loops-*.test.ts check a case: on each of five seeds the default checks (checkIdempotent,
 * then checkConvergence, with only the case's generators given) must fail on the broken loop — with
 * one of the problems that name its bug — and pass on its fixed twin.
 */
import { describe, expect, it } from 'vitest';
import { CheckFailedError, checkConvergence, checkIdempotent } from 'rx-reconcile/testing';
import type { BrokenCase } from './broken-loops.js';

export const SEEDS = [1, 2, 3, 4, 5] as const;

/** The first check that fails, as `check: problems`, or undefined when both pass. */
async function defaultChecks(c: BrokenCase, variant: 'broken' | 'fixed', seed: number): Promise<{ check: string; problems: readonly string[]; message: string } | undefined> {
  const definition = c[variant];
  for (const [check, run] of [
    ['checkIdempotent', () => checkIdempotent(definition, { ...c.inputs, seed })],
    ['checkConvergence', () => checkConvergence(definition, { ...c.inputs, seed })],
  ] as const) {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof CheckFailedError)) throw error;
      return { check, problems: error.details.problems, message: error.message };
    }
  }
  return undefined;
}

/** One describe per case: caught on every seed, with a problem its bug explains; the twin passes. */
export function describeCase(c: BrokenCase, caughtAs: readonly string[]): void {
  describe(`${c.name}`, () => {
    it.each(SEEDS)(`is caught by the default checks (seed %i): ${c.bug}`, async (seed) => {
      const failure = await defaultChecks(c, 'broken', seed);
      expect(failure, 'the broken loop passed both checks').toBeDefined();
      expect(failure?.problems.some((p) => caughtAs.includes(p)), `${failure?.check}: ${failure?.problems.join(', ')}\n${failure?.message}`).toBe(true);
    });
    it.each(SEEDS)('its fixed twin passes both (seed %i)', async (seed) => {
      const failure = await defaultChecks(c, 'fixed', seed);
      expect(failure, failure?.message).toBeUndefined();
    });
  });
}
