/**
 * Broken loops caught by the kit's default checks on five seeds, each with a fixed twin that passes
 * (cases 1–5 of broken-loops.ts; broken-loops-b.test.ts has the others, so the two run side by side).
 */
import { closureState, deletesWhatItDoesNotOwn, edgeTriggered, staleCache, statusAsTruth } from './broken-loops.js';
import { describeCase } from './broken-cases.js';

// Edge-triggered: a record changed in the zone by hand (a `change`/`remove` step) is never repaired.
describeCase(edgeTriggered, ['not-converged']);
// Status as the truth: the same drift, hidden behind a current observedGeneration.
describeCase(statusAsTruth, ['not-converged']);
// Closure state: an account removed by hand, or deleted and created again, is not made again.
describeCase(closureState, ['not-converged']);
// Stale cache: a lost or reordered event of a spec change leaves the old spec in force for good.
describeCase(staleCache, ['not-converged']);
// Deleting what it does not own: `web.bak` (someone else's) disappears with site `web`.
describeCase(deletesWhatItDoesNotOwn, ['not-converged', 'oscillation']);
