/**
 * Whether a string has a UTF-8 form: `isWellFormed`. etcd keeps keys and values as bytes, and a lone
 * UTF-16 surrogate (half of a character such as an emoji) has no UTF-8 form: Node writes U+FFFD in
 * its place, so a prefix or a replica name holding one would be read back as another string (a
 * replica would see a phantom member, a store would not find its own keys).
 *
 * @module
 */

/** A UTF-16 surrogate without its pair (with the `u` flag, a pair is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

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
