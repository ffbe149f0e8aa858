/**
 * The `describe` option of `defineLoop`: what a loop says about itself where its code cannot know —
 * who may change its desired state, how it observes and compares, what each correction means, how
 * it resolves conflicts with other writers — and its zod check. `describeLoops` prints these texts in
 * their sections and says "not declared" for the ones left out; it never invents them.
 *
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../src/index.js';
import { checkOptions } from '../../src/check-options.js';
import { copyPlain } from '../../src/plain-data.js';

/** The languages `describeLoops` writes: English, or Chinese (the language of the source template). */
export type Language = 'en' | 'zh';

/**
 * A text of a loop's description: one string (printed in every language), or one per language (the
 * document's language is used, then English, then Chinese). Printed as Markdown text: backticks make
 * code; it is escaped in HTML.
 */
export type DocText = string | { readonly en?: string; readonly zh?: string };

/** One row of the correction table: a kind of difference, the action that removes it, why repeating it is harmless. */
export interface CorrectionDoc {
  /** The kind of difference between desired and current state, e.g. "a todo has no file". */
  readonly difference: DocText;
  /** What the loop does about it, e.g. "write the file". */
  readonly action: DocText;
  /** Why doing it twice does no harm, e.g. "the file is named after the todo; an equal file is not written". */
  readonly guarantee: DocText;
}

/**
 * What a loop declares about itself for `describeLoops` (the `describe` option of `defineLoop`).
 * Every field is optional: a section whose text is not declared says so.
 *
 * ## Example
 * ```ts
 * defineLoop({
 *   name: 'todo', store, kind: 'Todo', reconcile,
 *   describe: {
 *     owners: ['the todo API', 'operators (kubectl-like CLI)'],
 *     corrections: [{ difference: 'a todo has no file', action: 'write the file', guarantee: 'named after the todo' }],
 *     conflicts: { en: 'Only this loop writes the files.', zh: '只有这个闭环写这些文件。' },
 *   },
 * });
 * ```
 */
export interface LoopDocs {
  /** Who may change the desired state (people, services, pipelines). */
  readonly owners?: DocText | readonly DocText[];
  /** How the loop observes the current state of the world. */
  readonly observe?: DocText;
  /** How it decides that a correction is needed. */
  readonly compare?: DocText;
  /** Each kind of difference, the correction, and its idempotency guarantee. */
  readonly corrections?: readonly CorrectionDoc[];
  /** How conflicts with other loops or writers on the same resources are resolved. */
  readonly conflicts?: DocText;
  /**
   * A desired-state example (a spec, as plain JSON data). Default: one generated from the loop's
   * `schema` when it has one. It is checked against the schema when printed.
   */
  readonly example?: unknown;
}

const nonEmpty = z.string({ error: 'must be a non-empty string' }).min(1, 'must be a non-empty string, or { en?, zh? }');
const text = z.union(
  [
    nonEmpty,
    z
      .strictObject({ en: nonEmpty.optional(), zh: nonEmpty.optional() })
      .refine((t) => t.en !== undefined || t.zh !== undefined, 'must have en or zh'),
  ],
  { error: 'must be a non-empty string, or { en?, zh? } with at least one non-empty string' },
);

const plain = z.custom<unknown>((value) => {
  try {
    copyPlain(value, 'example');
    return true;
  } catch {
    return false;
  }
}, 'must be plain JSON data (no functions, cycles, class instances or non-finite numbers)');

const docsSchema = z.strictObject({
  owners: z.union([text, z.array(text)], { error: 'must be a text or a list of texts (who may change the desired state)' }).optional(),
  observe: text.optional(),
  compare: text.optional(),
  corrections: z
    .array(z.strictObject({ difference: text, action: text, guarantee: text }), { error: 'must be a list of { difference, action, guarantee }' })
    .optional(),
  conflicts: text.optional(),
  example: plain.optional(),
});

/** The shallow check the options schemas of loops use for `describe` (the details are {@link checkLoopDocs}'). */
export const loopDocsShape = z
  .custom<LoopDocs>(
    (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
    'must be an object { owners?, observe?, compare?, corrections?, conflicts?, example? }',
  )
  .optional();

/** Refuses a `describe` option that cannot be printed, naming the field (`label`: e.g. `defineLoop "todo"`). */
export function checkLoopDocs(label: string, docs: unknown): void {
  if (docs === undefined) return;
  if (typeof docs !== 'object' || docs === null || Array.isArray(docs)) {
    throw new InvalidArgumentError(`${label}: describe must be an object { owners?, observe?, compare?, corrections?, conflicts?, example? }`);
  }
  checkOptions(`${label}: describe`, docsSchema, docs);
}

/** The text of `value` in `language` (then English, then Chinese); undefined when not declared. */
export function textIn(value: DocText | undefined, language: Language): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return value[language] ?? value.en ?? value.zh;
}
