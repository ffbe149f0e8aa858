/**
 * The head of a described document: what a reconcile loop is compared with a pipeline (the
 * template's opening table), and the loop inventory — one row per loop: name, triggers, convergence
 * period, idempotency, where it is defined.
 *
 * @module
 */
import { codeSpan, heading, paragraph, table } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { figuresOf } from './describe-context.js';
import { HEADINGS } from './headings.js';
import { idempotencyItems } from './idempotency-checklist.js';
import type { LoopFacts } from './loop-facts.js';
import { triggerSummary } from './section-triggers.js';

/** "Reconcile loops vs pipelines": the ground the rest of the document stands on. */
export function loopsVsPipelinesSection(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const rows: [string, string, string][] = [
    ['Runs', 'continuously: every change, resync and retry runs the same pass again', 'once per request'],
    ['Failure', 'the next pass starts from what it observes, so a retry is the repair', 'needs explicit compensation steps'],
    ['A new component', 'the next pass takes it into account', 'the pipeline has to be changed'],
    ['Migration', 'gradual: change the desired state, the loops follow', 'usually all at once'],
    ['State kept', 'desired state + observed current state', 'intermediate state of the run'],
  ];
  const zh: [string, string, string][] = [
    ['执行模式', '持续运行：每次变更、定时触发和重试都重跑同一次协调', '每个请求执行一次'],
    ['容错', '下一次协调从观察到的状态出发，重试本身就是修复', '需要显式的补偿步骤'],
    ['新增组件', '下一次协调自动纳入', '需要修改流程'],
    ['迁移', '渐进式：修改期望状态，闭环随之收敛', '通常一次性全量'],
    ['状态', '期望状态 + 观察到的当前状态', '运行中的中间状态'],
  ];
  const header = say.t({ en: 'Feature|Reconcile loop|Pipeline', zh: '特性|闭环 (Reconcile)|流程 (Pipeline)' }).split('|');
  return [
    heading(2, say.t(HEADINGS.loopsVsPipelines)),
    table(header, say.language === 'zh' ? zh : rows),
    paragraph(
      say.t({
        en:
          'Everything below is computed by `describeLoops` from each loop\'s definition (its `defineLoop` options and `describe` declarations) and from what its passes used; ' +
          'a text the code cannot know says **not declared** until the loop declares it, and lines marked **Measured** come from the running loop.',
        zh: '以下内容由 `describeLoops` 根据每个闭环的定义（`defineLoop` 选项与 `describe` 声明）及其协调过程实际使用的机制生成；代码无法得知的内容在闭环声明之前标为**未声明**，标有**实测**的行来自运行中的闭环。',
      }),
    ),
  ];
}

/** "Loop inventory": one row per loop. */
export function inventorySection(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const header = say.t({ en: 'Loop|Triggers|Convergence period|Idempotent|Source', zh: '闭环名称|触发方式|收敛周期|幂等性|源码位置' }).split('|');
  const rows = ctx.loops.map((f) => [codeSpan(f.name), triggerSummary(say, f), convergencePeriod(ctx, f), idempotencySummary(ctx, f), f.source === undefined ? '—' : codeSpan(f.source)]);
  return [heading(2, say.t(HEADINGS.inventory)), table(header, rows)];
}

function convergencePeriod(ctx: DescribeContext, f: LoopFacts): string {
  const { say } = ctx;
  const parts = [
    f.resync === undefined
      ? say.t({ en: 'on change only (no resync)', zh: '仅在变更时（无定时）' })
      : say.t({ en: `on change; every ${say.duration(f.resync)} (resync)`, zh: `变更时；每 ${say.duration(f.resync)}（定时）` }),
  ];
  if (f.convergenceDeadline !== undefined) parts.push(say.t({ en: `deadline ${say.duration(f.convergenceDeadline)}`, zh: `期限 ${say.duration(f.convergenceDeadline)}` }));
  const ttc = figuresOf(ctx, f)?.convergence?.timeToConverge;
  if (ttc !== undefined) {
    parts.push(say.t({ en: `measured p50 ${say.duration(ttc.p50)}, p99 ${say.duration(ttc.p99)}`, zh: `实测 p50 ${say.duration(ttc.p50)}，p99 ${say.duration(ttc.p99)}` }));
  }
  return parts.join(say.semicolon);
}

function idempotencySummary(ctx: DescribeContext, f: LoopFacts): string {
  const { say } = ctx;
  const items = idempotencyItems(f);
  const checked = items.filter((i) => i.checked).length;
  const word =
    checked === items.length ? say.t({ en: 'yes', zh: 'Yes' }) : checked === 0 ? say.t({ en: 'no', zh: 'No' }) : say.t({ en: 'partly', zh: '部分' });
  const parts = [`${word} (${checked}/${items.length})`];
  for (const check of ctx.checks.filter((c) => c.loop === f.name)) {
    const name = check.check === 'idempotence' ? 'checkIdempotent' : 'checkConvergence';
    const result =
      check.failure !== undefined
        ? say.t({ en: 'failed', zh: '失败' })
        : check.report !== undefined
          ? say.t({ en: 'passed', zh: '通过' })
          : say.t({ en: 'not run', zh: '未运行' });
    parts.push(`${codeSpan(name)} ${result}`);
  }
  return parts.join(say.semicolon);
}
