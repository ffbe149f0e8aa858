/**
 * What every section of a described document reads: the phrasebook of the document's language, the
 * facts of each loop, their measured figures (when asked for), the idempotency checks given, and
 * the admin page's address (when one serves the loops).
 *
 * @module
 */
import { codeSpan } from './document.js';
import type { Phrasebook } from './language.js';
import type { LiveFigures } from './live-figures.js';
import type { DocText } from './loop-docs.js';
import { textIn } from './loop-docs.js';
import type { LoopFacts } from './loop-facts.js';

/**
 * The result of one testing-kit check of a loop, for the idempotency test table. The report that
 * `checkIdempotent` or `checkConvergence` (`rx-reconcile/testing`) returned fits `report` as it is;
 * for a check that threw, give its message as `failure`.
 *
 * ## Example
 * ```ts
 * const report = await checkIdempotent(todoDefinition, { desired, current, numRuns: 50 });
 * describeLoops([todo], { checks: [{ loop: 'todo', check: 'idempotence', report }] });
 * ```
 */
export interface IdempotencyCheck {
  /** The loop's name. */
  readonly loop: string;
  /** `idempotence` (`checkIdempotent`) or `convergence` (`checkConvergence`). */
  readonly check: 'idempotence' | 'convergence';
  /** What the passing check reported. */
  readonly report?: CheckReportSummary;
  /** Why the check failed (the message of the error it threw). */
  readonly failure?: string;
}

/** What the document prints of a check's report (the kit's `CheckReport` fits). */
export interface CheckReportSummary {
  readonly numRuns: number;
  readonly seed: number;
  readonly passes: number;
  readonly writes: number;
  readonly corrections: number;
  readonly faults: number;
  readonly slowestConvergence?: number | undefined;
}

/** What the sections read; see the module. */
export interface DescribeContext {
  readonly say: Phrasebook;
  readonly loops: readonly LoopFacts[];
  /** Measured figures by loop index; empty unless `live` was asked for. */
  readonly figures: ReadonlyMap<number, LiveFigures>;
  readonly checks: readonly IdempotencyCheck[];
  readonly adminUrl: string | undefined;
}

/** The loop's name as code. */
export function loopName(facts: LoopFacts): string {
  return codeSpan(facts.name);
}

/** A declared text, or the document's "not declared (`describe.<field>`)". */
export function declaredOr(ctx: DescribeContext, text: DocText | undefined, field: string): string {
  const found = textIn(text, ctx.say.language);
  return found ?? notDeclared(ctx, field);
}

/** "not declared (`describe.<field>`)" in the document's language. */
export function notDeclared(ctx: DescribeContext, field: string): string {
  return ctx.say.t({ en: `not declared (${codeSpan(`describe.${field}`)})`, zh: `未声明（${codeSpan(`describe.${field}`)}）` });
}

/** The measured figures of a loop, when the document has them. */
export function figuresOf(ctx: DescribeContext, facts: LoopFacts): LiveFigures | undefined {
  return ctx.figures.get(facts.index);
}

/** "**Measured**: " in the document's language. */
export function measured(ctx: DescribeContext): string {
  return ctx.say.t({ en: '**Measured**: ', zh: '**实测**：' });
}
