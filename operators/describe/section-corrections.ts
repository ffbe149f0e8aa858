/**
 * The corrections of one loop, as the template's table (difference → action → idempotency
 * guarantee): the rows the loop declares (`describe.corrections`; "not declared" otherwise), then the
 * corrections the library itself makes for this loop, read from its options and what its passes used.
 *
 * @module
 */
import { codeSpan, heading, paragraph, table } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { notDeclared } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { Bilingual } from './language.js';
import { textIn } from './loop-docs.js';
import { used } from './loop-facts.js';
import type { LoopFacts } from './loop-facts.js';

type Row = readonly [Bilingual, Bilingual, Bilingual];

/** The "Corrections" section of one loop. */
export function correctionsSection(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const header = say.t({ en: 'Difference|Correction|Idempotency guarantee', zh: '差异类型|纠偏动作|幂等保证' }).split('|');
  const blocks: Block[] = [heading(3, say.t(HEADINGS.corrections))];
  const declared = f.docs.corrections ?? [];
  if (declared.length > 0) {
    blocks.push(
      paragraph(say.t({ en: 'Declared by the loop (`describe.corrections`):', zh: '闭环声明的纠偏（`describe.corrections`）：' })),
      table(
        header,
        declared.map((c) => [c.difference, c.action, c.guarantee].map((t) => textIn(t, say.language) ?? '')),
      ),
    );
  } else {
    const missing = notDeclared(ctx, 'corrections');
    blocks.push(paragraph(say.t({ en: `Corrections of the world: ${missing}.`, zh: `对外部世界的纠偏：${missing}。` })));
  }
  const rows = libraryRows(f);
  if (rows.length > 0) {
    blocks.push(
      paragraph(say.t({ en: 'Made by the library for this loop (from its options and what its passes used):', zh: '库为此闭环执行的纠偏（来自其选项及协调中实际使用的机制）：' })),
      table(header, rows.map((row) => row.map((t) => say.t(t)))),
    );
  }
  return blocks;
}

function libraryRows(f: LoopFacts): Row[] {
  const rows: Row[] = [];
  const p = f.conditionPrefix;
  if (f.style === 'phases') {
    rows.push([
      { en: "a correction in `compare`'s plan", zh: '`compare` 计划中的一项纠偏' },
      { en: '`correct(correction)`, one after the other; each success logs `Correction applied`', zh: '依次执行 `correct(correction)`；每次成功记录 `Correction applied`' },
      { en: `its idempotency key${f.verifies ? '; verify plans again and finds nothing left' : ''}`, zh: `其幂等键${f.verifies ? '；验证阶段重新规划，确认无剩余纠偏' : ''}` },
    ]);
  }
  for (const name of f.finalizers) {
    const n = codeSpan(name);
    const byOption = name === f.finalizer;
    rows.push([
      { en: `a live resource without the finalizer ${n}`, zh: `存活的资源缺少 finalizer ${n}` },
      { en: byOption ? `add ${n} before the first correction` : `add ${n} (in \`reconcile\`)`, zh: byOption ? `在第一次纠偏前添加 ${n}` : `添加 ${n}（在 \`reconcile\` 中）` },
      { en: 'added only when missing; compare-and-set on `metadata.version`', zh: '仅在缺少时添加；以 `metadata.version` 比较并交换' },
    ]);
    rows.push([
      { en: 'the resource is being deleted', zh: '资源正在被删除' },
      { en: byOption ? `cleanup, then remove ${n}` : `the loop's cleanup, then remove ${n}`, zh: byOption ? `执行 cleanup，然后移除 ${n}` : `执行闭环自己的清理，然后移除 ${n}` },
      { en: 'cleanup is retried until it succeeds once; a finalizer already removed is done', zh: 'cleanup 重试直到成功一次；已移除的 finalizer 视为完成' },
    ]);
  }
  if (f.conditions) {
    rows.push([
      { en: 'the status does not say what the last pass found', zh: '状态与最近一次协调的结果不一致' },
      { en: `write \`${p}Ready\` / \`${p}Progressing\` / \`${p}Degraded\` and \`observedGeneration\``, zh: `写入 \`${p}Ready\` / \`${p}Progressing\` / \`${p}Degraded\` 与 \`observedGeneration\`` },
      { en: 'written only when it changes (no self-triggered storms)', zh: '仅在变化时写入（不会自我触发风暴）' },
    ]);
  }
  if (f.schema !== undefined) {
    rows.push([
      { en: 'a spec that fails the `schema`', zh: 'spec 未通过 `schema` 校验' },
      { en: `park the key, \`${p}Degraded=True\` (\`InvalidSpec\`)`, zh: `搁置该 key，\`${p}Degraded=True\`（\`InvalidSpec\`）` },
      { en: 'the spec is never rewritten; no retry until it changes', zh: '从不改写 spec；在其改变前不重试' },
    ]);
  }
  if (f.ownedKinds.length > 0) {
    const kinds = f.ownedKinds.map(codeSpan).join(', ');
    if (used(f, 'ensureChildren')) {
      rows.push([
        { en: `owned children (${kinds}) differ from what the pass wants`, zh: `子资源（${kinds}）与本次协调期望的不同` },
        { en: '`ctx.ensureChildren`: create, update or delete them', zh: '`ctx.ensureChildren`：创建、更新或删除' },
        { en: 'by name, under a controller owner reference; never touches what it does not own', zh: '按名称，带控制者 ownerReference；从不触碰不属于自己的资源' },
      ]);
    }
    if (!f.orphan) {
      rows.push([
        { en: `the owner is gone, its children (${kinds}) remain`, zh: `所有者已删除，子资源（${kinds}）仍在` },
        { en: 'delete them (cascade)', zh: '删除它们（级联）' },
        { en: 'only children owned by it; absent ones are done', zh: '只删除归它所有的子资源；已不存在的视为完成' },
      ]);
    }
  }
  if (used(f, 'apply')) {
    rows.push([
      { en: 'a resource differs from what the pass wants', zh: '某资源与本次协调期望的不同' },
      { en: '`ctx.apply`: create it, or update it', zh: '`ctx.apply`：创建或更新' },
      { en: 'by name; no write when it already matches', zh: '按名称；已一致时不写入' },
    ]);
  }
  if (used(f, 'deleteIfExists')) {
    rows.push([
      { en: 'a resource that should not exist', zh: '不应存在的资源' },
      { en: '`ctx.deleteIfExists`', zh: '`ctx.deleteIfExists`' },
      { en: 'an absent resource counts as deleted', zh: '不存在的资源视为已删除' },
    ]);
  }
  if (used(f, 'once')) {
    rows.push([
      { en: 'a side effect not yet recorded', zh: '尚未记录的副作用' },
      { en: '`ctx.once(id, effect)`', zh: '`ctx.once(id, effect)`' },
      { en: 'recorded in a ledger: once per key and id (at-most-once or at-least-once)', zh: '记录在台账中：每个 key 与 id 一次（至多一次或至少一次）' },
    ]);
  }
  if (f.worldKeys) {
    rows.push([
      { en: 'something in the world with no desired state (an orphan)', zh: '外部世界中没有期望状态的东西（孤儿）' },
      { en: 'a pass for its key, which finds nothing desired and cleans up', zh: '为其 key 执行一次协调，发现无期望状态并清理' },
      { en: 'as idempotent as the loop\'s own cleanup', zh: '与闭环自己的清理一样幂等' },
    ]);
  }
  return rows;
}
