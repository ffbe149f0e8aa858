/**
 * The idempotency guarantees of the document's loops: per loop, the template's checklist computed
 * from what the loop uses; then the idempotency test table, filled from the testing kit's checks
 * (`checkIdempotent`, `checkConvergence`) when they were given, "not run" otherwise.
 *
 * @module
 */
import { checklist, codeSpan, heading, list, paragraph, table } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext, IdempotencyCheck } from './describe-context.js';
import { figuresOf, loopName, measured } from './describe-context.js';
import { HEADINGS } from './headings.js';
import { idempotencyChecklist } from './idempotency-checklist.js';
import type { LoopFacts } from './loop-facts.js';
import { shorten } from './section-convergence.js';

/** The "Idempotency guarantees" section (all loops). */
export function idempotencySection(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const blocks: Block[] = [heading(2, say.t(HEADINGS.idempotency)), heading(3, say.t(HEADINGS.checklist))];
  for (const f of ctx.loops) {
    blocks.push(heading(4, loopName(f)), checklist(idempotencyChecklist(f, say)));
    const usage = f.usage;
    if (figuresOf(ctx, f) !== undefined && usage !== undefined) {
      const counts = (['apply', 'deleteIfExists', 'ensureChildren', 'once', 'addFinalizer', 'removeFinalizer', 'updateStatus'] as const)
        .filter((h) => usage[h] > 0)
        .map((h) => `${codeSpan(`ctx.${h}`)} ×${usage[h]}`);
      blocks.push(list([measured(ctx) + (counts.length === 0 ? say.t({ en: 'no idempotent-write helper used so far', zh: '目前未使用幂等写入辅助函数' }) : say.join(counts))]));
    }
  }
  blocks.push(heading(3, say.t(HEADINGS.idempotencyTests)), ...testTable(ctx));
  return blocks;
}

function testTable(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const header = say.t({ en: 'Loop|Scenario|Input|First run|Repeated run|Expected|Result', zh: '闭环|场景|输入|首次执行|重复执行|预期结果|结果' }).split('|');
  const rows: string[][] = [];
  for (const f of ctx.loops) {
    rows.push(idempotenceRow(ctx, f, find(ctx, f, 'idempotence')), convergenceRow(ctx, f, find(ctx, f, 'convergence')));
  }
  return [
    paragraph(
      say.t({
        en: 'From `rx-reconcile/testing`: `checkIdempotent` and `checkConvergence` run the real loop in virtual time over generated desired and current states.',
        zh: '来自 `rx-reconcile/testing`：`checkIdempotent` 与 `checkConvergence` 在虚拟时间中，以生成的期望状态与当前状态运行真实的闭环。',
      }),
    ),
    table(header, rows),
  ];
}

function find(ctx: DescribeContext, f: LoopFacts, check: IdempotencyCheck['check']): IdempotencyCheck | undefined {
  return ctx.checks.find((c) => c.loop === f.name && c.check === check);
}

function idempotenceRow(ctx: DescribeContext, f: LoopFacts, check: IdempotencyCheck | undefined): string[] {
  const { say } = ctx;
  const r = check?.report;
  return [
    loopName(f),
    say.t({ en: 'a second pass over converged keys', zh: '对已收敛的 key 再协调一次' }),
    r === undefined
      ? say.t({ en: 'generated desired and current states', zh: '生成的期望状态与当前状态' })
      : say.t({ en: `${r.numRuns} generated cases (seed ${r.seed})`, zh: `${r.numRuns} 组生成用例（seed ${r.seed}）` }),
    r === undefined
      ? say.t({ en: 'runs until it settles', zh: '运行直到稳定' })
      : say.t({ en: `settles: ${r.passes} passes, ${r.writes} store writes, ${r.corrections} corrections`, zh: `稳定：${r.passes} 次协调，${r.writes} 次存储写入，${r.corrections} 次纠偏` }),
    say.t({ en: 'every key once more', zh: '每个 key 再执行一次' }),
    say.t({ en: 'no correction, no store write, world unchanged', zh: '无纠偏、无存储写入、外部世界不变' }),
    result(ctx, check),
  ];
}

function convergenceRow(ctx: DescribeContext, f: LoopFacts, check: IdempotencyCheck | undefined): string[] {
  const { say } = ctx;
  const r = check?.report;
  return [
    loopName(f),
    say.t({ en: 'convergence under faults', zh: '故障下的收敛' }),
    r === undefined
      ? say.t({ en: 'generated states; dropped, duplicated, reordered events, stale reads, failing writes', zh: '生成的状态；丢失、重复、乱序的事件，过期读取，失败的写入' })
      : say.t({ en: `${r.numRuns} generated cases (seed ${r.seed}), ${r.faults} faults injected`, zh: `${r.numRuns} 组生成用例（seed ${r.seed}），注入 ${r.faults} 个故障` }),
    r === undefined
      ? say.t({ en: 'runs with faults', zh: '在故障下运行' })
      : say.t({
          en: `${r.passes} passes${r.slowestConvergence === undefined ? '' : `, slowest convergence ${say.duration(r.slowestConvergence)} (virtual)`}`,
          zh: `${r.passes} 次协调${r.slowestConvergence === undefined ? '' : `，最慢收敛 ${say.duration(r.slowestConvergence)}（虚拟时间）`}`,
        }),
    say.t({ en: 'retries and resyncs repeat passes', zh: '重试与定时触发重复执行协调' }),
    say.t({ en: 'the world matches the desired state; no oscillation', zh: '外部世界与期望状态一致；无振荡' }),
    result(ctx, check),
  ];
}

function result(ctx: DescribeContext, check: IdempotencyCheck | undefined): string {
  const { say } = ctx;
  if (check?.failure !== undefined) return say.t({ en: `**failed**: ${codeSpan(shorten(check.failure))}`, zh: `**失败**：${codeSpan(shorten(check.failure))}` });
  if (check?.report !== undefined) return say.t({ en: 'passed', zh: '通过' });
  return say.t({ en: 'not run', zh: '未运行' });
}
