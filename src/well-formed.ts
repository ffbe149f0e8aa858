/**
 * Whether a string has a UTF-8 form: `isWellFormed`. A lone UTF-16 surrogate (half of a character
 * such as an emoji) has none: Node writes U+FFFD in its place, so text kept or hashed as bytes comes
 * back as, or names the same as, another string. Stores refuse such keys (SQLite and etcd keep them
 * as bytes), etcd its prefix and replica names, and the ledger hashes such ids another way.
 *
 * @module
 */

/** A UTF-16 surrogate without its pair (with the `u` flag, a pair is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** The index of the first lone UTF-16 surrogate in `text`, or -1 when it is well-formed. */
export function loneSurrogateAt(text: string): number {
  return text.search(LONE_SURROGATE);
}

/**
 * True when `text` holds no lone UTF-16 surrogate (`String.prototype.isWellFormed`, which not every
 * supported Node has).
 *
 * ## Example
 * ```ts
 * isWellFormed('worker-🙂'); // true
 * isWellFormed('worker-\ud83d'); // false: half an emoji
 * ```
 */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** The message of an option refused for holding a lone surrogate. */
export const WELL_FORMED_MESSAGE = 'must be well-formed text: it holds a lone UTF-16 surrogate (half of a character such as an emoji); use whole characters only';
