/**
 * Concurrency and conflicts of the document's loops: per loop, the template's concurrency checklist
 * (work queue per key, optimistic concurrency, leader election / sharding), checked from the loop's
 * options, with — measured — its hot keys; then how conflicts with other loops or writers on the same
 * resources are resolved: what the loop declares, and what the library guarantees.
 *
 * @module
 */
import { checklist, codeSpan, heading, list } from './document.js';
import type { Block, ChecklistItem } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { declaredOr, figuresOf, loopName, measured } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { LoopFacts } from './loop-facts.js';

/** The "Concurrency and conflicts" section (all loops). */
export function concurrencySection(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const blocks: Block[] = [heading(2, say.t(HEADINGS.concurrencyAndConflicts)), heading(3, say.t(HEADINGS.concurrency))];
  for (const f of ctx.loops) {
    blocks.push(heading(4, loopName(f)), checklist(concurrencyItems(ctx, f)));
    const live = figuresOf(ctx, f);
    if (live !== undefined) {
      blocks.push(
        list([
          measured(ctx) +
            (live.hot.length === 0
              ? say.t({ en: 'no hot key', zh: '没有热 key' })
              : say.t({ en: `hot keys: ${say.join(live.hot.map((h) => codeSpan(h.key)))}`, zh: `热 key：${say.join(live.hot.map((h) => codeSpan(h.key)))}` })),
        ]),
      );
    }
  }
  blocks.push(heading(3, say.t(HEADINGS.conflicts)));
  for (const f of ctx.loops) blocks.push(heading(4, loopName(f)), list(conflictItems(ctx, f)));
  return blocks;
}

/** The concurrency checklist of one loop. */
export function concurrencyItems(ctx: DescribeContext, f: LoopFacts): ChecklistItem[] {
  const { say } = ctx;
  const queue: ChecklistItem = {
    checked: true,
    text: `${say.t({ en: 'Serial per key (work queue)', zh: '单资源串行协调 (Work Queue)' })}${say.colon}${say.t({
      en: `${f.workers} worker(s); a key is never reconciled by two workers at once, and a change during a pass gives exactly one more pass after it`,
      zh: `${f.workers} 个 worker；同一个 key 不会被两个 worker 同时协调，协调期间的变更会在其后恰好再触发一次`,
    })}`,
  };
  const optimistic: ChecklistItem =
    f.mode === 'store'
      ? {
          checked: true,
          text: `${say.t({ en: 'Optimistic concurrency (resource version)', zh: '乐观并发 (ResourceVersion)' })}${say.colon}${say.t({
            en: 'every store update is compare-and-set on `metadata.version`; a stale one fails with `ConflictError` and the key is observed again',
            zh: '每次存储更新都以 `metadata.version` 比较并交换；过期的更新以 `ConflictError` 失败，随后重新观察该 key',
          })}`,
        }
      : {
          checked: false,
          text: `${say.t({ en: 'Optimistic concurrency (resource version)', zh: '乐观并发 (ResourceVersion)' })}${say.colon}${say.t({
            en: 'a stream loop writes to no store: the world\'s own versions, if any, are the loop\'s business',
            zh: '流式闭环不写入存储：外部世界自己的版本号（如有）由闭环自行处理',
          })}`,
        };
  const election: ChecklistItem = f.coordinator
    ? {
        checked: true,
        text: `${say.t({ en: 'Leader election / sharding', zh: '分布式锁 (Leader Election) / 分片' })}${say.colon}${say.t({
          en: `a \`coordinator\` gives each key one acting replica; ${f.fenced ? "a deposed replica's writes are refused by the store (fencing token)" : "the store has no `fenced()`, so a deposed replica's in-flight write can still land"}`,
          zh: `\`coordinator\` 为每个 key 指定唯一的执行副本；${f.fenced ? '失去所有权的副本的写入会被存储拒绝（fencing token）' : '存储没有 `fenced()`，失去所有权的副本正在进行的写入仍可能落地'}`,
        })}`,
      }
    : {
        checked: false,
        text: `${say.t({ en: 'Leader election / sharding', zh: '分布式锁 (Leader Election) / 分片' })}${say.colon}${say.t({
          en: 'no `coordinator`: run one replica of this loop per desired state, or set one',
          zh: '未设置 `coordinator`：每份期望状态只运行一个该闭环的副本，或设置 `coordinator`',
        })}`,
      };
  return [queue, optimistic, election];
}

function conflictItems(ctx: DescribeContext, f: LoopFacts): string[] {
  const { say } = ctx;
  const items = [`${say.t({ en: 'Declared', zh: '声明' })}${say.colon}${declaredOr(ctx, f.docs.conflicts, 'conflicts')}`];
  items.push(
    say.t({
      en: `From the library: a conflicting write (\`ConflictError\`, \`AlreadyExistsError\`, \`NotFoundError\`) makes the key observe again and retry at once, up to ${f.conflictRetries} times in a row, then with backoff — the last writer never overwrites a change it has not seen.`,
      zh: `来自库：冲突的写入（\`ConflictError\`、\`AlreadyExistsError\`、\`NotFoundError\`）会让该 key 重新观察并立即重试，连续至多 ${f.conflictRetries} 次，之后按退避重试——最后的写入者不会覆盖它未看到的变更。`,
    }),
  );
  if (f.finalizers.length > 0) {
    items.push(
      say.t({
        en: `Its finalizer(s) ${f.finalizers.map(codeSpan).join(', ')} must be unique to this loop: another loop's finalizers on the same resource are left alone.`,
        zh: `其 finalizer ${f.finalizers.map(codeSpan).join('、')} 必须为此闭环独有：同一资源上其他闭环的 finalizer 不受影响。`,
      }),
    );
  }
  if (f.ownedKinds.length > 0) {
    items.push(
      say.t({
        en: `Children (${f.ownedKinds.map(codeSpan).join(', ')}) are changed only where this resource is their controller owner; children of other owners are never touched.`,
        zh: `子资源（${f.ownedKinds.map(codeSpan).join('、')}）只在本资源是其控制者时才会被修改；其他所有者的子资源从不触碰。`,
      }),
    );
  }
  if (f.coordinator) {
    items.push(
      f.fenced
        ? say.t({ en: "Across replicas of this loop, the `coordinator` decides; fencing refuses a deposed owner's writes.", zh: '同一闭环的多个副本之间由 `coordinator` 决定；fencing 拒绝失去所有权者的写入。' })
        : say.t({ en: "Across replicas of this loop, the `coordinator` decides who runs a key; the store cannot fence, so a deposed owner's in-flight write can land.", zh: '同一闭环的多个副本之间由 `coordinator` 决定谁处理某个 key；存储不能 fencing，失去所有权者正在进行的写入仍可能落地。' }),
    );
  }
  return items;
}
