/**
 * Broken loops caught by the kit's default checks on five seeds, each with a fixed twin that passes
 * (cases 6–10 of broken-loops.ts).
 */
import { crashBetweenSteps, lostUpdate, nonIdempotentFinalizer, orderDependentCompare, unboundedGrowth } from './broken-loops.js';
import { describeCase } from './broken-cases.js';

// Order-dependent compare: tags typed in another order than the API keeps them are updated forever.
describeCase(orderDependentCompare, ['first-run-failed', 'planned-correction', 'world-correction', 'not-converged']);
// Unbounded growth: a member added twice (a retry, a stale read) stays twice.
describeCase(unboundedGrowth, ['not-converged']);
// A cleanup that is not idempotent: quota given back twice, then counted again (or left wrong).
describeCase(nonIdempotentFinalizer, ['oscillation', 'not-converged']);
// A lost update: a desired change written over with the spec the pass had read.
describeCase(lostUpdate, ['desired-lost']);
// A crash between write and rename: the `.tmp` left behind fails every later pass.
describeCase(crashBetweenSteps, ['not-converged']);
