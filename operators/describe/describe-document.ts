/**
 * Builds the described document of a set of loops, section by section in the order of the
 * reconcile-loop design template, and checks the options of `describeLoops`.
 *
 * @module
 */
import { z } from 'zod';
import { checkOptions } from '../../src/check-options.js';
import { codeSpan, heading } from './document.js';
import type { Block, DescribedDocument } from './document.js';
import type { DescribeContext, IdempotencyCheck } from './describe-context.js';
import { loopHeading } from './headings.js';
import { phrasebook } from './language.js';
import type { Language } from './language.js';
import { liveFigures } from './live-figures.js';
import type { LiveFigures } from './live-figures.js';
import { loopFacts } from './loop-facts.js';
import type { DescribableLoop } from './loop-facts.js';
import { compareSection } from './section-compare.js';
import { concurrencySection } from './section-concurrency.js';
import { convergenceSection } from './section-convergence.js';
import { correctionsSection } from './section-corrections.js';
import { failuresSection } from './section-failures.js';
import { idempotencySection } from './section-idempotency.js';
import { inventorySection, loopsVsPipelinesSection } from './section-inventory.js';
import { modelSection } from './section-model.js';
import { observabilitySection } from './section-observability.js';
import { observeSection } from './section-observe.js';
import { sourceSection } from './section-source.js';
import { triggersSection } from './section-triggers.js';
import type { LoopWatch } from './watch-loops.js';

/**
 * Options of `describeLoops`.
 *
 * ## Example
 * ```ts
 * describeLoops(loops, { title: 'Loops of the shop', language: 'zh', live: watch, adminUrl: 'http://127.0.0.1:9464/' });
 * ```
 */
export interface DescribeLoopsOptions {
  /** The document's title. Default `Reconcile loops` (`闭环设计 (Reconcile Loops)` in Chinese). */
  readonly title?: string;
  /** Headings and fixed phrases in English (default) or Chinese (the template's language). */
  readonly language?: Language;
  /**
   * Measured figures next to the declared ones: `true` reads each running loop's own state
   * (`snapshot()`: passes, failures per class, parked and hot keys); a `LoopWatch` from `watchLoops`
   * adds time to converge. Default: none (the document is then a function of the definitions and of
   * what the passes used).
   */
  readonly live?: boolean | LoopWatch;
  /** Results of the testing kit's checks, for the idempotency test table ("not run" for the others). */
  readonly checks?: readonly IdempotencyCheck[];
  /** Where an admin page serves these loops (`http(s)://…` or a path such as `/admin/`). */
  readonly adminUrl?: string;
}

const text = z.string().min(1).max(10_000);
const optionsSchema = z.strictObject({
  title: text.optional(),
  language: z.enum(['en', 'zh'], { error: 'must be "en" or "zh"' }).optional(),
  live: z
    .union([z.boolean(), z.custom<LoopWatch>((v) => typeof v === 'object' && v !== null && typeof (v as LoopWatch).convergence === 'function')], {
      error: 'must be true, false, or a LoopWatch from watchLoops(loops)',
    })
    .optional(),
  checks: z
    .array(
      z.strictObject({
        loop: z.string(),
        check: z.enum(['idempotence', 'convergence'], { error: 'must be "idempotence" or "convergence"' }),
        report: z
          .object({ numRuns: z.number(), seed: z.number(), passes: z.number(), writes: z.number(), corrections: z.number(), faults: z.number(), slowestConvergence: z.number().optional() })
          .optional(),
        failure: z.string().optional(),
      }),
      { error: 'must be a list of { loop, check, report?, failure? }' },
    )
    .optional(),
  adminUrl: z
    .string()
    .regex(/^(https?:\/\/[^\s()<>`]+|\/[^\s()<>`]*)$/, 'must be an http(s) URL or an absolute path without spaces, parentheses or angle brackets')
    .optional(),
});

/** Refuses options `describeLoops` cannot use, naming the option. */
export function checkDescribeOptions(where: string, options: DescribeLoopsOptions): void {
  checkOptions(where, optionsSchema, options);
}

/** The document describing `loops`; see `describeLoops`. */
export function describeDocument(loops: readonly DescribableLoop[], options: DescribeLoopsOptions = {}): DescribedDocument {
  const language = options.language ?? 'en';
  const say = phrasebook(language);
  const facts = loops.map((loop, i) => loopFacts(loop, i + 1));
  const figures = new Map<number, LiveFigures>();
  if (options.live !== undefined && options.live !== false) {
    const watch = options.live === true ? undefined : options.live;
    for (const f of facts) {
      const live = liveFigures(f, watch);
      if (live !== undefined) figures.set(f.index, live);
    }
  }
  const ctx: DescribeContext = { say, loops: facts, figures, checks: options.checks ?? [], adminUrl: options.adminUrl };
  const title = options.title ?? say.t({ en: 'Reconcile loops', zh: '闭环设计 (Reconcile Loops)' });
  const blocks: Block[] = [heading(1, title), ...loopsVsPipelinesSection(ctx), ...inventorySection(ctx)];
  for (const f of facts) {
    blocks.push(
      heading(2, say.t(loopHeading(f.index, codeSpan(f.name)))),
      ...modelSection(ctx, f),
      ...triggersSection(ctx, f),
      ...sourceSection(ctx, f),
      ...observeSection(ctx, f),
      ...compareSection(ctx, f),
      ...correctionsSection(ctx, f),
      ...convergenceSection(ctx, f),
    );
  }
  blocks.push(...idempotencySection(ctx), ...failuresSection(ctx), ...observabilitySection(ctx), ...concurrencySection(ctx));
  return blocks;
}
