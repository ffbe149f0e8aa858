/**
 * Failure handling of the document's loops: per loop, the failure classes (retryable or not, what the
 * loop does, what raises them, and — measured — how often each happened); then the manual
 * intervention path: when a person must step in, how (release, trigger, pause, the admin page when
 * one serves the loops), and — measured — which keys need one now.
 *
 * @module
 */
import { codeSpan, heading, list, paragraph, table } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { figuresOf, loopName, measured } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { Bilingual } from './language.js';
import { FAILURE_CLASSES } from './live-figures.js';
import { functionName } from './loop-facts.js';
import type { LoopFacts } from './loop-facts.js';
import { shorten } from './section-convergence.js';

/** The "Failure handling" section (all loops). */
export function failuresSection(ctx: DescribeContext): Block[] {
  const { say } = ctx;
  const blocks: Block[] = [heading(2, say.t(HEADINGS.failures)), heading(3, say.t(HEADINGS.failureClasses))];
  for (const f of ctx.loops) blocks.push(heading(4, loopName(f)), ...classTable(ctx, f));
  blocks.push(heading(3, say.t(HEADINGS.intervention)));
  for (const f of ctx.loops) blocks.push(heading(4, loopName(f)), ...intervention(ctx, f));
  return blocks;
}

function classTable(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const live = figuresOf(ctx, f);
  const header = say.t({ en: 'Class|Retryable|What the loop does|Raised by', zh: '失败类型|可重试|处理策略|触发来源' }).split('|');
  if (live !== undefined) header.push(say.t({ en: 'Measured (share of passes)', zh: '实测（占协调次数）' }));
  const rows: Record<(typeof FAILURE_CLASSES)[number], readonly [Bilingual, Bilingual, Bilingual, Bilingual]> = {
    transient: [
      { en: 'transient', zh: '临时错误 (transient)' },
      { en: 'yes', zh: 'Yes' },
      { en: `retry with backoff; quarantined after ${f.steps} retries`, zh: `退避重试；${f.steps} 次重试后隔离` },
      { en: '`TransientError`, `TimeoutError`, any other error or non-Error throw', zh: '`TransientError`、`TimeoutError`、其他任何错误或非 Error 的抛出值' },
    ],
    conflict: [
      { en: 'conflict', zh: '资源冲突 (conflict)' },
      { en: 'yes', zh: 'Yes' },
      { en: `observe again and retry at once, up to ${f.conflictRetries} times in a row, then as transient`, zh: `重新获取后立即重试，连续至多 ${f.conflictRetries} 次，之后按临时错误处理` },
      { en: '`ConflictError` (stale `metadata.version`), `AlreadyExistsError`, `NotFoundError`', zh: '`ConflictError`（`metadata.version` 过期）、`AlreadyExistsError`、`NotFoundError`' },
    ],
    permanent: [
      { en: 'permanent', zh: '业务错误 (permanent)' },
      { en: 'no', zh: 'No' },
      { en: 'park the key (terminal), log at error, until its desired state changes or it is released', zh: '搁置该 key（terminal），以 error 级别记录，直到期望状态改变或被手动释放' },
      {
        en: '`PermanentError`, `ValidationError`, `ResourceTooLargeError`, `MalformedResourceError`, `Outcome.terminal`',
        zh: '`PermanentError`、`ValidationError`、`ResourceTooLargeError`、`MalformedResourceError`、`Outcome.terminal`',
      },
    ],
    dependency: [
      { en: 'dependency', zh: '依赖不满足 (dependency)' },
      { en: 'wait', zh: 'Wait' },
      { en: `wait (its \`retryAfterMs\`, default ${say.duration(f.dependencyInterval)}) without counting a failure`, zh: `等待（其 \`retryAfterMs\`，默认 ${say.duration(f.dependencyInterval)}），不计为失败` },
      { en: '`DependencyNotReadyError`, `Outcome.waiting`', zh: '`DependencyNotReadyError`、`Outcome.waiting`' },
    ],
  };
  const body = FAILURE_CLASSES.map((cls) => {
    const cells = rows[cls].map((t) => say.t(t));
    if (live !== undefined) cells.push(`${live.failures[cls].count} (${say.percent(live.failures[cls].rate)})`);
    return cells;
  });
  const blocks: Block[] = [];
  if (f.classify !== undefined) {
    const name = codeSpan(functionName(f.classify, 'classify'));
    blocks.push(paragraph(say.t({ en: `The loop's \`classify\` (${name}) decides first; errors it leaves undecided are classed as below.`, zh: `闭环的 \`classify\`（${name}）优先分类；它未判定的错误按下表分类。` })));
  }
  blocks.push(table(header, body));
  return blocks;
}

function intervention(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const when: string[] = [
    say.t({
      en: 'A key is parked **terminal** (a permanent failure or an invalid spec): fix the desired state (the change releases it), or fix the cause and release it.',
      zh: '某个 key 被搁置为 **terminal**（永久错误或无效 spec）：修正期望状态（修改会自动释放它），或修复原因后手动释放。',
    }),
    say.t({
      en: `A key is **quarantined** after ${f.steps + 1} failures in a row: read its last error (\`loop.snapshot().parked\`${f.conditions ? `, its \`${f.conditionPrefix}Degraded\` condition` : ''}, the \`Key quarantined\` log line), fix the cause, release it.`,
      zh: `某个 key 连续失败 ${f.steps + 1} 次后被**隔离**：查看其最后的错误（\`loop.snapshot().parked\`${f.conditions ? `、其 \`${f.conditionPrefix}Degraded\` 条件` : ''}、\`Key quarantined\` 日志），修复原因后释放。`,
    }),
  ];
  if (f.convergenceDeadline !== undefined) {
    when.push(
      say.t({
        en: `A key is **overdue**: not converged ${say.duration(f.convergenceDeadline)} after its desired change (\`Convergence deadline exceeded\`); it keeps running, a person finds out why.`,
        zh: `某个 key **超期**：期望变更后 ${say.duration(f.convergenceDeadline)} 仍未收敛（\`Convergence deadline exceeded\`）；它仍在运行，需要人查明原因。`,
      }),
    );
  }
  when.push(
    say.t({
      en: 'A key is **hot** (`Hot key`: it runs again and again without a desired change): look for a write that comes back as its own trigger.',
      zh: '某个 key 变**热**（`Hot key`：没有期望变更却反复运行）：检查是否有写入又回来触发了它自己。',
    }),
    say.t({
      en: 'The loop is not alive or not ready (`loop.health()`: `reason`, `lastSourceError`): a source keeps failing, or the loop died (`Loop died`).',
      zh: '闭环不存活或未就绪（`loop.health()`：`reason`、`lastSourceError`）：某个事件源持续失败，或闭环已终止（`Loop died`）。',
    }),
  );
  const how: string[] = [
    say.t({ en: '`loop.release(key)`: a parked key runs once more (and automatically again if it converges).', zh: '`loop.release(key)`：被搁置的 key 再运行一次（收敛后恢复自动协调）。' }),
    say.t({ en: '`loop.trigger(key)`: runs a key now, even in backoff or parked.', zh: '`loop.trigger(key)`：立即运行一个 key，即使它在退避或已被搁置。' }),
    say.t({ en: '`loop.pause()` / `loop.resume()`: no new pass starts while paused (triggers are collected).', zh: '`loop.pause()` / `loop.resume()`：暂停期间不开始新的协调（触发会被收集）。' }),
    ctx.adminUrl === undefined
      ? say.t({ en: 'Admin page: none given to this document (`adminUrl`).', zh: '管理页面：本文档未提供（`adminUrl`）。' })
      : say.t({
          en: `Admin page: [${ctx.adminUrl}](${ctx.adminUrl}) shows the parked keys and offers trigger, release, pause and resume (with its token).`,
          zh: `管理页面：[${ctx.adminUrl}](${ctx.adminUrl}) 显示被搁置的 key，并提供 trigger、release、pause 与 resume（需要其令牌）。`,
        }),
  ];
  const blocks: Block[] = [
    paragraph(say.t({ en: 'When a person must step in:', zh: '何时需要人工介入：' })),
    list(when),
    paragraph(say.t({ en: 'How:', zh: '如何介入：' })),
    list(how),
  ];
  const live = figuresOf(ctx, f);
  if (live !== undefined) {
    const now: string[] = [
      ...live.parked.map((p) =>
        say.t({
          en: `${codeSpan(p.key)} is ${p.reason}${p.lastError === undefined ? '' : ` (${codeSpan(shorten(p.lastError))})`}: ${p.reason === 'terminal' ? 'fix its desired state, or release it' : 'fix the cause, then release it'} — \`loop.release(${JSON.stringify(p.key).replace(/`/g, "'")})\``,
          zh: `${codeSpan(p.key)} 处于 ${p.reason}${p.lastError === undefined ? '' : `（${codeSpan(shorten(p.lastError))}）`}：${p.reason === 'terminal' ? '修正其期望状态，或手动释放' : '修复原因后释放'}——\`loop.release(${JSON.stringify(p.key).replace(/`/g, "'")})\``,
        }),
      ),
      ...live.hot.map((h) => say.t({ en: `${codeSpan(h.key)} is hot (${h.reruns} immediate reruns)`, zh: `${codeSpan(h.key)} 变热（连续立即重跑 ${h.reruns} 次）` })),
    ];
    if (live.overdue > 0) now.push(say.t({ en: `${live.overdue} key(s) went past the convergence deadline`, zh: `${live.overdue} 个 key 超过了收敛期限` }));
    const health = f.health;
    if (health !== undefined && (!health.alive || !health.ready)) {
      now.push(say.t({ en: `the loop is ${health.alive ? 'not ready' : 'not alive'}: ${health.reason ?? '?'}`, zh: `闭环${health.alive ? '未就绪' : '不存活'}：${health.reason ?? '?'}` }));
    }
    blocks.push(list([measured(ctx) + (now.length === 0 ? say.t({ en: 'nothing needs a person now', zh: '当前无需人工介入' }) : say.join(now))]));
  }
  return blocks;
}
