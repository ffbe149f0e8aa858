/**
 * How one loop observes the current state: the declared text (or "not declared"), then what the
 * code shows — which function reads the world, and what the pass reads of the desired state.
 *
 * @module
 */
import { heading, list } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { declaredOr } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { LoopFacts } from './loop-facts.js';

/** The "Observing the current state" section of one loop. */
export function observeSection(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const items = [`${say.t({ en: 'Declared', zh: '声明' })}${say.colon}${declaredOr(ctx, f.docs.observe, 'observe')}`];
  if (f.style === 'phases') {
    items.push(
      f.mode === 'streams'
        ? say.t({
            en: 'From the code: `observe(key, ctx)` reads the world for the key, or — without it — the latest value of `current$` (`ctx.current()`).',
            zh: '来自代码：`observe(key, ctx)` 读取该 key 在外部世界的状态；未提供时使用 `current$` 的最新值（`ctx.current()`）。',
          })
        : say.t({
            en: 'From the code: `observe(key, ctx)` reads the world for the key; the desired resource is read once at the start of the pass.',
            zh: '来自代码：`observe(key, ctx)` 读取该 key 在外部世界的状态；期望资源在协调开始时读取一次。',
          }),
    );
    if (f.verifies) {
      items.push(say.t({ en: 'After correcting, the world is observed again (verify).', zh: '纠偏之后会再次观察外部世界（验证）。' }));
    }
  } else {
    items.push(
      f.mode === 'streams'
        ? say.t({
            en: "From the code: inside `reconcile`; `ctx.current()` gives the latest value of `current$` when there is one, anything else is read by the loop's own code.",
            zh: '来自代码：在 `reconcile` 内部；有 `current$` 时 `ctx.current()` 给出其最新值，其余由闭环自己的代码读取。',
          })
        : say.t({
            en: "From the code: inside `reconcile`; `ctx.get()` gives the resource read at the start of the pass (shared with the loop's own steps), the world is read by the loop's own code.",
            zh: '来自代码：在 `reconcile` 内部；`ctx.get()` 给出协调开始时读取的资源（与闭环自身的步骤共享），外部世界由闭环自己的代码读取。',
          }),
    );
  }
  return [heading(3, say.t(HEADINGS.observe)), list(items)];
}
