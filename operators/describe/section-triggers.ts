/**
 * The triggers of a loop: the template's checklist (watch, resync, manual, dependency), each checked
 * from what the loop really has, with what it does; and the short summary the inventory and the loop
 * model print.
 *
 * @module
 */
import { checklist, codeSpan, heading, list } from './document.js';
import type { Block, ChecklistItem } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { Phrasebook } from './language.js';
import { functionName } from './loop-facts.js';
import type { LoopFacts } from './loop-facts.js';
import type { Dependency } from '../loop/loop-options.js';

/** The "Triggers" section of one loop. */
export function triggersSection(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const items: ChecklistItem[] = [watchItem(say, f), resyncItem(say, f), manualItem(ctx), dependencyItem(say, f)];
  const extra: string[] = [];
  if (f.triggerSources > 0) {
    extra.push(
      say.t({
        en: `External events: ${f.triggerSources} source(s) in \`triggers\` (a process exits, a file changes…), queued like watch events; a failing source is restarted with the loop's backoff.`,
        zh: `外部事件：\`triggers\` 中的 ${f.triggerSources} 个事件源（进程退出、文件变化等），与 watch 事件一样入队；失败的事件源按闭环的退避策略重启。`,
      }),
    );
  }
  if (f.worldKeys) {
    extra.push(
      say.t({
        en: `Orphan sweep: \`worldKeys\` lists what exists in the world at start${f.resync === undefined ? '' : ' and at every resync'}; a key with no desired state gets a pass that cleans it up.`,
        zh: `孤儿清扫：\`worldKeys\` 在启动时${f.resync === undefined ? '' : '及每次定时触发时'}列出外部世界中存在的 key；没有期望状态的 key 会得到一次清理。`,
      }),
    );
  }
  extra.push(
    say.t({
      en: 'Requeue: the outcome of a pass (`requeueAfter`, a backoff, a dependency wait) brings its key back by itself.',
      zh: '重新入队：一次协调的结果（`requeueAfter`、退避、等待依赖）会让该 key 自动再次进入队列。',
    }),
  );
  return [heading(3, say.t(HEADINGS.triggers)), checklist(items), list(extra)];
}

function watchItem(say: Phrasebook, f: LoopFacts): ChecklistItem {
  const label = say.t({ en: 'Resource change events (watch)', zh: '资源变更事件 (Watch)' });
  if (f.mode === 'streams') {
    return {
      checked: true,
      text: `${label}${say.colon}${say.t({
        en: 'every change of `desired$` (and `current$`) triggers exactly the keys whose value changed or disappeared; the first emission at low priority',
        zh: '`desired$`（及 `current$`）的每次变化只触发值变化或消失的 key；首次发射为低优先级',
      })}`,
    };
  }
  const kind = codeSpan(f.kind ?? '?');
  let text = say.t({
    en: `the store's watch of kind ${kind}: the current list at start (low priority), then every change (high priority); the loop's own writes of a key do not come back as its triggers unless they change the spec`,
    zh: `存储中 ${kind} 类型的 watch：启动时的完整列表（低优先级），之后的每次变更（高优先级）；闭环对自身 key 的写入除非改变 spec，否则不会再次触发`,
  });
  if (f.filters.length > 0) {
    const names = f.filters.map(codeSpan).join(', ');
    text += say.t({ en: `; events are filtered by ${names} (not the resync)`, zh: `；事件经 ${names} 过滤（定时触发不过滤）` });
  }
  return { checked: true, text: `${label}${say.colon}${text}` };
}

function resyncItem(say: Phrasebook, f: LoopFacts): ChecklistItem {
  const label = say.t({ en: 'Periodic (resync)', zh: '定时触发 (Resync)' });
  if (f.resync === undefined) {
    return {
      checked: false,
      text: `${label}${say.colon}${say.t({
        en: 'off: a lost event is repaired only by the next change of the key (set `resync`)',
        zh: '未开启：丢失的事件只能等该 key 下次变更时修复（设置 `resync`）',
      })}`,
    };
  }
  const every = say.duration(f.resync);
  const scope =
    f.mode === 'streams'
      ? say.t({ en: 'every known key (desired or current)', zh: '所有已知 key（期望或当前）' })
      : f.resyncFilter
        ? say.t({ en: `the keys of ${codeSpan(f.kind ?? '?')} that \`resyncFilter\` keeps`, zh: `\`resyncFilter\` 保留的 ${codeSpan(f.kind ?? '?')} key` })
        : say.t({ en: `every key of ${codeSpan(f.kind ?? '?')}`, zh: `${codeSpan(f.kind ?? '?')} 的所有 key` });
  return {
    checked: true,
    text: `${label}${say.colon}${say.t({
      en: `every ${every}, ${scope} again at low priority (repairs lost events)`,
      zh: `每 ${every}一次，以低优先级重新处理 ${scope}（修复丢失的事件）`,
    })}`,
  };
}

function manualItem(ctx: DescribeContext): ChecklistItem {
  const { say } = ctx;
  const label = say.t({ en: 'Manual (force reconcile)', zh: '手动触发 (Force Reconcile)' });
  let text = say.t({
    en: '`loop.trigger(key)` runs a key now, even in backoff or parked; `loop.release(key)` runs a parked key again',
    zh: '`loop.trigger(key)` 立即处理一个 key，即使它在退避或已被搁置；`loop.release(key)` 让被搁置的 key 重新运行',
  });
  if (ctx.adminUrl !== undefined) text += say.t({ en: `; also from the [admin page](${ctx.adminUrl})`, zh: `；也可在[管理页面](${ctx.adminUrl})操作` });
  return { checked: true, text: `${label}${say.colon}${text}` };
}

function dependencyItem(say: Phrasebook, f: LoopFacts): ChecklistItem {
  const label = say.t({ en: 'Dependency changes', zh: '依赖资源变更' });
  const parts = f.dependencies.map((d) => dependencyText(say, d));
  const owns = f.owns.filter((k) => !f.dependencies.some((d) => (typeof d === 'string' ? d : d.kind) === k));
  if (owns.length > 0) {
    parts.push(
      say.t({
        en: `changes of owned children (${owns.map(codeSpan).join(', ')}) trigger their controller owner`,
        zh: `子资源（${owns.map(codeSpan).join('、')}）的变更触发其控制者`,
      }),
    );
  }
  if (parts.length === 0) {
    return {
      checked: false,
      text: `${label}${say.colon}${say.t({ en: 'none (`dependencies`, `owns`)', zh: '无（`dependencies`、`owns`）' })}`,
    };
  }
  return { checked: true, text: `${label}${say.colon}${parts.join(say.semicolon)}` };
}

function dependencyText(say: Phrasebook, dep: Dependency): string {
  if (typeof dep === 'string') {
    return say.t({ en: `changes of ${codeSpan(dep)} trigger their owner (owner references)`, zh: `${codeSpan(dep)} 的变更触发其所有者（ownerReferences）` });
  }
  if ('map' in dep) {
    const fn = codeSpan(functionName(dep.map, 'map'));
    return say.t({ en: `changes of ${codeSpan(dep.kind)} trigger the keys ${fn} returns`, zh: `${codeSpan(dep.kind)} 的变更触发 ${fn} 返回的 key` });
  }
  return dep.controllerOnly === true
    ? say.t({ en: `changes of ${codeSpan(dep.kind)} trigger their controller owner`, zh: `${codeSpan(dep.kind)} 的变更触发其控制者` })
    : say.t({ en: `changes of ${codeSpan(dep.kind)} trigger their owner (owner references)`, zh: `${codeSpan(dep.kind)} 的变更触发其所有者（ownerReferences）` });
}

/** The triggers in a few words (inventory, loop model): e.g. `watch Todo, resync 1 min, manual`. */
export function triggerSummary(say: Phrasebook, f: LoopFacts, styled = true): string {
  const c = styled ? codeSpan : (text: string) => text;
  const parts = [f.mode === 'streams' ? say.t({ en: `${c('desired$')} / ${c('current$')} changes`, zh: `${c('desired$')} / ${c('current$')} 变化` }) : say.t({ en: `watch ${c(f.kind ?? '?')}`, zh: `监听 ${c(f.kind ?? '?')}` })];
  if (f.resync !== undefined) parts.push(say.t({ en: `resync ${say.duration(f.resync)}`, zh: `定时 ${say.duration(f.resync)}` }));
  const kinds = [...f.dependencies.map((d) => (typeof d === 'string' ? d : d.kind))];
  for (const k of f.owns) if (!kinds.includes(k)) kinds.push(k);
  for (const k of kinds) parts.push(say.t({ en: `${c(k)} changes`, zh: `${c(k)} 变更` }));
  if (f.triggerSources > 0) parts.push(say.t({ en: `${f.triggerSources} external source(s)`, zh: `${f.triggerSources} 个外部事件源` }));
  parts.push(say.t({ en: 'manual', zh: '手动' }));
  return say.join(parts);
}
