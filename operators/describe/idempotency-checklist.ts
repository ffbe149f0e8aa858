/**
 * The idempotency checklist of a loop, computed from what it uses: each of the template's four items
 * (unique identity on create, version check on update, existence check on delete, de-duplicated side
 * effects) is checked only when the loop's definition or its passes show the mechanism that makes it
 * true, and every item says why it is checked or what is missing.
 *
 * @module
 */
import { codeSpan } from './document.js';
import type { ChecklistItem } from './document.js';
import type { Bilingual, Phrasebook } from './language.js';
import { used } from './loop-facts.js';
import type { LoopFacts } from './loop-facts.js';

/** One item: checked or not, its label and the evidence (or what is missing). */
export interface IdempotencyItem {
  readonly id: 'create' | 'update' | 'delete' | 'sideEffects';
  readonly checked: boolean;
  readonly label: Bilingual;
  readonly reasons: readonly Bilingual[];
}

/** The four items for `facts`. */
export function idempotencyItems(facts: LoopFacts): readonly IdempotencyItem[] {
  return [createItem(facts), updateItem(facts), deleteItem(facts), sideEffectItem(facts)];
}

/** The items as checklist lines in the document's language. */
export function idempotencyChecklist(facts: LoopFacts, say: Phrasebook): ChecklistItem[] {
  return idempotencyItems(facts).map((item) => ({
    checked: item.checked,
    text: `${say.t(item.label)} — ${item.reasons.map((r) => say.t(r)).join(say.semicolon)}`,
  }));
}

function createItem(f: LoopFacts): IdempotencyItem {
  const reasons: Bilingual[] = [];
  if (f.style === 'phases') {
    reasons.push({
      en: 'each correction of the plan carries an idempotency key (action, target and value)',
      zh: '计划中的每个纠偏都带有幂等键（动作、目标与值）',
    });
  }
  if (used(f, 'apply')) reasons.push({ en: '`ctx.apply` creates by name, or updates what exists', zh: '`ctx.apply` 按名称创建，已存在则更新' });
  if (used(f, 'ensureChildren')) {
    reasons.push({ en: '`ctx.ensureChildren` makes children by name, owned by this resource', zh: '`ctx.ensureChildren` 按名称创建子资源，并由本资源拥有' });
  }
  if (reasons.length > 0) return { id: 'create', checked: true, label: LABELS.create, reasons };
  return {
    id: 'create',
    checked: false,
    label: LABELS.create,
    reasons: [
      {
        en: `not seen: no keyed corrections, \`ctx.apply\` or \`ctx.ensureChildren\`${unseen(f).en}; what the loop's own code creates needs a stable name or a client token`,
        zh: `未发现：没有带幂等键的纠偏、\`ctx.apply\` 或 \`ctx.ensureChildren\`${unseen(f).zh}；闭环自己创建的东西需要稳定的名称或客户端令牌`,
      },
    ],
  };
}

function updateItem(f: LoopFacts): IdempotencyItem {
  const reasons: Bilingual[] = [];
  const writes: Bilingual[] = [];
  if (f.mode === 'store') {
    if (f.conditions) writes.push({ en: 'status conditions', zh: '状态条件' });
    if (f.finalizers.length > 0) writes.push({ en: 'finalizers', zh: 'finalizer' });
    for (const helper of ['updateStatus', 'apply', 'ensureChildren'] as const) {
      if (used(f, helper)) writes.push({ en: codeSpan(`ctx.${helper}`), zh: codeSpan(`ctx.${helper}`) });
    }
  }
  if (writes.length > 0) {
    reasons.push({
      en: `store writes (${writes.map((w) => w.en).join(', ')}) are compare-and-set on \`metadata.version\`: a stale write fails with \`ConflictError\`, and the key is observed again and retried`,
      zh: `存储写入（${writes.map((w) => w.zh).join('、')}）以 \`metadata.version\` 做比较并交换：过期的写入以 \`ConflictError\` 失败，随后重新观察并重试`,
    });
  }
  if (f.coordinator && f.fenced) {
    reasons.push({ en: "writes are fenced by the `coordinator`: a deposed replica's writes are refused (`FencedError`)", zh: '写入受 `coordinator` 的 fencing 保护：失去所有权的副本写入会被拒绝（`FencedError`）' });
  }
  const unfenced: Bilingual[] = f.coordinator && !f.fenced ? [UNFENCED] : [];
  if (reasons.length > 0) return { id: 'update', checked: true, label: LABELS.update, reasons: [...reasons, ...unfenced] };
  const missing: Bilingual =
    f.mode === 'streams'
      ? {
          en: 'not seen: a stream loop has no store, so the library checks no version on its updates; compare against what was observed, or use the world\'s own versions',
          zh: '未发现：流式闭环没有存储，库不会为其更新检查版本；请与观察到的状态比较，或使用外部世界自己的版本号',
        }
      : {
          en: `not seen: no store write by the loop (\`conditions: false\`, no finalizer, no \`ctx.updateStatus\`)${unseen(f).en}`,
          zh: `未发现：闭环没有写入存储（\`conditions: false\`、没有 finalizer、没有 \`ctx.updateStatus\`）${unseen(f).zh}`,
        };
  return { id: 'update', checked: false, label: LABELS.update, reasons: [missing, ...unfenced] };
}

function deleteItem(f: LoopFacts): IdempotencyItem {
  const reasons: Bilingual[] = [];
  if (used(f, 'deleteIfExists')) reasons.push({ en: '`ctx.deleteIfExists`: an absent resource counts as deleted', zh: '`ctx.deleteIfExists`：不存在的资源视为已删除' });
  if (f.ownedKinds.length > 0 && !f.orphan) {
    const kinds = f.ownedKinds.map(codeSpan).join(', ');
    reasons.push({
      en: `the cascade deletes the owned children it finds (${kinds}) once their owner is gone`,
      zh: `级联删除只删除找到的、由本资源拥有的子资源（${kinds}）`,
    });
  }
  if (f.finalizers.length > 0) {
    const names = f.finalizers.map(codeSpan).join(', ');
    reasons.push({
      en: `deletion goes through the finalizer ${names}: cleanup runs while the resource still exists, and a finalizer already removed is done`,
      zh: `删除经由 finalizer ${names}：清理在资源仍存在时执行，已移除的 finalizer 视为完成`,
    });
  }
  if (reasons.length > 0) return { id: 'delete', checked: true, label: LABELS.delete, reasons };
  return {
    id: 'delete',
    checked: false,
    label: LABELS.delete,
    reasons: [
      {
        en: `not seen: no \`ctx.deleteIfExists\`, owned children or finalizer${unseen(f).en}; deletes made by the loop's own code must treat "not found" as done`,
        zh: `未发现：没有 \`ctx.deleteIfExists\`、子资源或 finalizer${unseen(f).zh}；闭环自己的删除必须把"不存在"视为完成`,
      },
    ],
  };
}

function sideEffectItem(f: LoopFacts): IdempotencyItem {
  const notes: Bilingual[] = [];
  if (f.style === 'phases') {
    notes.push({
      en: 'corrections carry idempotency keys, but the library does not de-duplicate them: `correct` must pass them on (e.g. as client tokens)',
      zh: '纠偏带有幂等键，但库不会据此去重：`correct` 需要把它们传下去（例如作为客户端令牌）',
    });
  }
  if (f.coordinator) notes.push({ en: 'one acting replica per key (`coordinator`), so two replicas never run a pass of the same key at once', zh: '每个 key 只有一个执行副本（`coordinator`），两个副本不会同时处理同一个 key' });
  if (used(f, 'once')) {
    const where = f.ledger ? { en: 'the `ledger` store', zh: '`ledger` 存储' } : f.mode === 'store' ? { en: "the loop's store", zh: '闭环的存储' } : { en: 'an in-memory ledger (not durable)', zh: '内存中的台账（不持久）' };
    return {
      id: 'sideEffects',
      checked: true,
      label: LABELS.sideEffects,
      reasons: [{ en: `\`ctx.once(id, effect, { delivery })\` records each effect in ${where.en} and runs it once per key and id`, zh: `\`ctx.once(id, effect, { delivery })\` 把每个副作用记录在${where.zh}中，每个 key 与 id 只执行一次` }, ...notes],
    };
  }
  return {
    id: 'sideEffects',
    checked: false,
    label: LABELS.sideEffects,
    reasons: [{ en: `not seen: no \`ctx.once\`${unseen(f).en}`, zh: `未发现：没有 \`ctx.once\`${unseen(f).zh}` }, ...notes],
  };
}

/** Why helpers may be missing from the evidence: the loop gives no usage, or has run no pass yet. */
function unseen(f: LoopFacts): Bilingual {
  if (f.usage === undefined) return { en: ' (this loop gives no `usage()` to read)', zh: '（此闭环没有提供 `usage()`）' };
  if (f.snapshot !== undefined && f.snapshot.counters.passes === 0) return { en: ' in any pass (none has run yet)', zh: '（尚未运行任何一次协调）' };
  return { en: ' in the passes so far', zh: '（目前为止的协调中）' };
}

/** A coordinator on a store that cannot fence. */
export const UNFENCED: Bilingual = {
  en: "but the store has no `fenced()`: with the `coordinator`, a deposed replica's in-flight write can still land",
  zh: '但存储没有 `fenced()`：即使有 `coordinator`，失去所有权的副本正在进行的写入仍可能落地',
};

const LABELS = {
  create: { en: 'Creates use a unique identity (no duplicate creates)', zh: '创建操作使用唯一标识符（避免重复创建）' },
  update: { en: 'Updates check the version (no lost updates)', zh: '更新操作检查版本号（避免覆盖更新）' },
  delete: { en: 'Deletes check existence (absent is done)', zh: '删除操作检查存在性（避免删除不存在的资源）' },
  sideEffects: { en: 'Side effects are de-duplicated (no repeated notifications)', zh: '副作用操作有去重机制（避免重复发送通知等）' },
} satisfies Record<string, Bilingual>;
