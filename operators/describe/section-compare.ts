/**
 * How one loop decides that a correction is needed: the declared text (or "not declared"), then what
 * the code shows — a pure `compare` returning keyed corrections, or a `reconcile` deciding inside, and
 * the comparisons the library makes itself (status writes, own writes, generations).
 *
 * @module
 */
import { heading, list } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { declaredOr } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { LoopFacts } from './loop-facts.js';

/** The "Compare logic" section of one loop. */
export function compareSection(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const items = [`${say.t({ en: 'Declared', zh: '声明' })}${say.colon}${declaredOr(ctx, f.docs.compare, 'compare')}`];
  items.push(
    f.style === 'phases'
      ? say.t({
          en: 'From the code: `compare(desired, current, key)` is pure and returns the corrections (create / update / delete / custom), each with an idempotency key; an empty list means in sync.',
          zh: '来自代码：`compare(desired, current, key)` 是纯函数，返回纠偏列表（create / update / delete / custom），每个都带幂等键；空列表表示已同步。',
        })
      : say.t({
          en: 'From the code: inside `reconcile`, which must be idempotent: a second pass over a converged key changes nothing.',
          zh: '来自代码：在 `reconcile` 内部完成，必须幂等：对已收敛的 key 再协调一次不做任何改变。',
        }),
  );
  if (f.mode === 'store') {
    items.push(
      say.t({
        en: 'The library compares what it writes itself: a status, condition or finalizer write that changes nothing is skipped, so a converged loop writes nothing.',
        zh: '库会比较它自己写入的内容：不产生变化的状态、条件或 finalizer 写入会被跳过，因此已收敛的闭环不产生写入。',
      }),
    );
  } else {
    items.push(
      say.t({
        en: 'The library compares each emission of the streams with the previous one: only keys whose value changed or disappeared are triggered.',
        zh: '库会把流的每次发射与上一次比较：只有值变化或消失的 key 会被触发。',
      }),
    );
  }
  return [heading(3, say.t(HEADINGS.compare)), list(items)];
}
