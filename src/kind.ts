/**
 * Typed kinds: a kind's name with the zod schemas of its spec (and, optionally, its status), so that
 * a loop infers `Spec` and `Status` from them and the store keeps the spec the schema parsed.
 *
 * @module
 */
import type { ZodType, output } from 'zod';
import { InvalidArgumentError } from './errors.js';

/** A kind with its schemas; see {@link defineKind}. */
export interface KindDefinition<Spec, Status = unknown> {
  readonly name: string;
  /** Every written spec must pass it; the store keeps its parsed output. */
  readonly spec: ZodType<Spec>;
  /** The status's shape, for types (the library's conditions are added to it). Not enforced on writes. */
  readonly status?: ZodType<Status>;
}

/**
 * Defines a kind from the zod schema of its spec: `Spec` is inferred (`z.output`, so defaults and
 * coercions show in the type), a store registers the schema (`store.registerKind`), and a loop given
 * the kind (`defineLoop({ kind: Todo, … })`) types its passes with it and refuses specs that fail it.
 *
 * ## Example
 * ```ts
 * import { z } from 'zod';
 * import { createMemoryStore, defineKind, defineLoop } from 'rx-reconcile';
 *
 * const Todo = defineKind('Todo', { spec: z.object({ title: z.string().min(1), done: z.boolean().default(false) }) });
 * const store = createMemoryStore();
 * defineLoop({
 *   name: 'todo', store, kind: Todo,
 *   async reconcile(_request, ctx) {
 *     const todo = await ctx.get();
 *     if (todo?.spec.done) console.log(`${todo.spec.title}: done`); // spec typed from the schema
 *   },
 * });
 * ```
 */
export function defineKind<SpecSchema extends ZodType, StatusSchema extends ZodType | undefined = undefined>(
  name: string,
  schemas: { readonly spec: SpecSchema; readonly status?: StatusSchema },
): KindDefinition<output<SpecSchema>, StatusSchema extends ZodType ? output<StatusSchema> : unknown> {
  if (typeof name !== 'string' || name === '') throw new InvalidArgumentError(`defineKind: name must be a non-empty string such as "Todo" (got ${String(name)})`);
  if (typeof schemas?.spec?.safeParse !== 'function') throw new InvalidArgumentError(`defineKind "${name}": spec must be a zod schema`);
  return Object.freeze({ name, ...schemas }) as KindDefinition<output<SpecSchema>, StatusSchema extends ZodType ? output<StatusSchema> : unknown>;
}

/** The name of a kind given as a string or a definition. */
export function kindName(kind: string | KindDefinition<unknown, unknown>): string {
  return typeof kind === 'string' ? kind : kind.name;
}
