/**
 * Observability of the document's loops: per loop, the metrics its adapter emits (listed by the
 * adapter itself) and — measured — its counters now; then the key log lines in the template's
 * logfmt form, each loop's logger, and the library's full log catalogue (`logLines`).
 *
 * @module
 */
import { isDescribedMetrics } from '../../src/index.js';
import { logLines } from '../instrument.js';
import { code, codeSpan, heading, list, paragraph, table } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { figuresOf, loopName, measured } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { LoopFacts } from './loop-facts.js';

/** The "Observability" section (all loops). */
export function observabilitySection(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const blocks: Block[] = [heading(2, say.t(HEADINGS.observability)), heading(3, say.t(HEADINGS.metrics))];
  for (const f of ctx.loops) blocks.push(heading(4, loopName(f)), ...metrics(ctx, f));
  blocks.push(heading(3, say.t(HEADINGS.logs)), ...logs(ctx));
  return blocks;
}

function metrics(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const blocks: Block[] = [];
  const port = f.metrics;
  if (isDescribedMetrics(port)) {
    let described: ReturnType<typeof port.describe> = [];
    try {
      described = port.describe();
    } catch {
      described = [];
    }
    const naming = ['loop', 'controller', 'name'].filter((label) => described.some((m) => m.labels.includes(label)));
    if (naming.length > 0) {
      const labels = naming.map((label) => codeSpan(`${label}="${f.name}"`)).join(' / ');
      blocks.push(paragraph(say.t({ en: `Series of this loop carry ${labels}.`, zh: `此闭环的序列带有 ${labels} 标签。` })));
    }
    const header = say.t({ en: 'Metric|Type|Labels', zh: '指标|类型|标签' }).split('|');
    blocks.push(table(header, described.map((m) => [codeSpan(m.name), say.t(TYPES[m.type]), m.labels.join(', ')])));
  } else if (port !== undefined) {
    blocks.push(paragraph(say.t({ en: 'A custom metrics port records this loop (it does not list its metrics).', zh: '此闭环由自定义的指标端口记录（它不列出自己的指标）。' })));
  } else {
    blocks.push(
      paragraph(
        say.t({
          en: 'None: pass `metrics: prometheusMetrics({ client, registry })` to record `reconcile_total`, `reconcile_duration_seconds`, `reconcile_errors_total`, `queue_depth` and more.',
          zh: '无：传入 `metrics: prometheusMetrics({ client, registry })` 以记录 `reconcile_total`、`reconcile_duration_seconds`、`reconcile_errors_total`、`queue_depth` 等指标。',
        }),
      ),
    );
  }
  const live = figuresOf(ctx, f);
  if (live !== undefined) {
    const o = live.outcomes;
    blocks.push(
      list([
        measured(ctx) +
          say.t({
            en: `${live.passes} pass(es): ${o.converged} converged, ${o.requeueAfter} requeued, ${o.retry} retried, ${o.terminal} terminal, ${o.waiting} waiting; queue depth ${live.depth}, ${live.delayed} delayed, ${live.parked.length} parked.`,
            zh: `共 ${live.passes} 次协调：${o.converged} 次收敛，${o.requeueAfter} 次重新入队，${o.retry} 次重试，${o.terminal} 次终止，${o.waiting} 次等待；队列深度 ${live.depth}，${live.delayed} 个延迟，${live.parked.length} 个搁置。`,
          }),
      ]),
    );
  }
  return blocks;
}

const TYPES = {
  counter: { en: 'counter', zh: 'Counter' },
  gauge: { en: 'gauge', zh: 'Gauge' },
  histogram: { en: 'histogram', zh: 'Histogram' },
} as const;

function logs(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const first = ctx.loops[0]?.name ?? 'loop';
  const loop = /^[\w.-]+$/.test(first) ? first : JSON.stringify(first);
  const keyLines = [
    `level=debug msg="Reconciling" loop=${loop} key=… reason=watch reconcileId=…`,
    `level=debug msg="Correction applied" loop=${loop} key=… action=create target=… idempotencyKey=…`,
    `level=warn msg="Reconcile failed" loop=${loop} key=… error="…" class=transient retryAfter=2000 failures=1`,
  ];
  const loggers = ctx.loops.map((f) =>
    say.t({
      en: `${loopName(f)}: ${f.logger ? 'through its `logger`' : 'no `logger` given: silent'}; every line is bound to ${codeSpan(`loop=${f.name}`)}${f.style === 'phases' ? '' : ' (no `Correction applied`: a `reconcile` loop corrects inside)'}.`,
      zh: `${loopName(f)}：${f.logger ? '通过其 `logger` 输出' : '未提供 `logger`：不输出'}；每行都带有 ${codeSpan(`loop=${f.name}`)}${f.style === 'phases' ? '' : '（没有 `Correction applied`：`reconcile` 闭环在内部纠偏）'}。`,
    }),
  );
  const header = say.t({ en: 'Message|Level|Fields|When', zh: '消息|级别|字段|何时（库的日志目录，英文）' }).split('|');
  return [
    code('text', keyLines.join('\n')),
    list(loggers),
    paragraph(say.t({ en: 'Every line a loop may write (`logLines`):', zh: '闭环可能输出的全部日志（`logLines`）：' })),
    table(
      header,
      logLines.map((line) => [codeSpan(line.message), line.level, line.fields.join(', ') || '—', line.when]),
    ),
  ];
}
