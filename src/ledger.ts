/**
 * The side-effect ledger: "side effects are de-duplicated (no notification sent twice)", from the
 * reconcile-loop template's idempotency checklist. {@link once} runs an effect at most once — or at
 * least once — per idempotency key, recorded as a resource of the `ReconcileLedger` kind in a store
 * (durable with a durable store: a restarted loop remembers).
 *
 * The delivery is explicit, because no store and no effect can give exactly-once together:
 *
 * | delivery        | records                 | if the process dies after the effect, before the record | if the effect fails |
 * |-----------------|-------------------------|--------------------------------------------------------|---------------------|
 * | `at-most-once`  | before the effect       | (recorded first: the effect is never repeated)          | never retried       |
 * | `at-least-once` | after the effect        | the effect runs again on the next pass                  | retried (pass fails)|
 *
 * Choose `at-least-once` for effects that are themselves idempotent or cheap to repeat (the usual
 * choice), `at-most-once` for effects that must never happen twice (a payment, an e-mail to a
 * customer) and may be lost instead.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { AlreadyExistsError, InvalidArgumentError } from './errors.js';
import type { Store } from './types.js';
import { isWellFormed } from './well-formed.js';

/** The kind of the ledger's records. */
export const LEDGER_KIND = 'ReconcileLedger';

/** How a {@link once} effect is delivered; see the module's table. */
export type Delivery = 'at-most-once' | 'at-least-once';

/** What {@link once} did. */
export interface OnceResult<T> {
  /** False when the ledger already held the key (the effect was not run). */
  readonly ran: boolean;
  /** The effect's result when it ran. */
  readonly value: T | undefined;
}

/** Where an idempotency key is scoped: the loop and the key it reconciles. */
export interface LedgerScope {
  readonly loop: string;
  readonly key: string;
}

/**
 * The ledger record's name for an idempotency key (a hash: any text may be an idempotency key). Loop,
 * key and id are joined with NUL, as records already written were named; a loop name or key that
 * itself holds a NUL (where that join is ambiguous: loop `a` key `b\0c` met loop `a\0b` key `c`), or
 * any of the three holding a lone surrogate (hashed as UTF-8, `x\ud800` and `x\udc00` were one
 * name), is hashed as a JSON list instead, which holds no raw NUL and escapes lone surrogates.
 */
export function ledgerName(scope: LedgerScope, id: string): string {
  const joined = `${scope.loop}\u0000${scope.key}\u0000${id}`;
  const text = scope.loop.includes('\u0000') || scope.key.includes('\u0000') || !isWellFormed(joined) ? JSON.stringify([scope.loop, scope.key, id]) : joined;
  return createHash('sha256').update(text).digest('hex');
}

/** The longest idempotency key kept as it is in a ledger record (longer ones are named by their hash alone). */
const SHOWN_ID = 1024;

/**
 * Runs `effect` unless the ledger in `store` already records `id` for this loop and key, and records
 * it — before the effect (`at-most-once`) or after it (`at-least-once`).
 *
 * ## Example
 * ```ts
 * import { once } from 'rx-reconcile';
 * import type { Resource, Store } from 'rx-reconcile';
 *
 * declare const store: Store;
 * declare const order: Resource<{ email: string }>;
 * declare const mailer: { send(to: string): Promise<void> };
 * const key = order.metadata.name;
 * await once(store, { loop: 'orders', key }, `welcome-mail:${order.metadata.uid}`, 'at-least-once', () => mailer.send(order.spec.email));
 * ```
 */
export async function once<T>(store: Store, scope: LedgerScope, id: string, delivery: Delivery, effect: () => T | PromiseLike<T>): Promise<OnceResult<T>> {
  if (typeof id !== 'string' || id === '') throw new InvalidArgumentError('once: the idempotency key must be a non-empty string');
  if (delivery !== 'at-most-once' && delivery !== 'at-least-once') {
    throw new InvalidArgumentError(`once: delivery must be 'at-most-once' or 'at-least-once' (got ${String(delivery)})`);
  }
  const name = ledgerName(scope, id);
  // The record names the id for people; a long one (a whole payload) is cut, its hash is the name.
  const shown = id.length <= SHOWN_ID ? { id } : { id: `${cut(id, SHOWN_ID)}…`, idLength: id.length };
  const record = { metadata: { name, labels: { loop: labelSafe(scope.loop) } }, spec: { loop: scope.loop, key: scope.key, ...shown, delivery } };
  if (delivery === 'at-most-once') {
    try {
      await store.create(LEDGER_KIND, record);
    } catch (error) {
      if (error instanceof AlreadyExistsError) return { ran: false, value: undefined };
      throw error;
    }
    return { ran: true, value: await effect() };
  }
  if ((await store.get(LEDGER_KIND, name)) !== undefined) return { ran: false, value: undefined };
  const value = await effect();
  try {
    await store.create(LEDGER_KIND, record);
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
  }
  return { ran: true, value };
}

/** The first `length` UTF-16 units of `text`, one fewer when that would split a surrogate pair. */
function cut(text: string, length: number): string {
  const last = text.charCodeAt(length - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? length - 1 : length);
}

/** Label values are plain strings here, but keep them short and printable. */
function labelSafe(text: string): string {
  return text.length > 63 ? text.slice(0, 63) : text;
}
