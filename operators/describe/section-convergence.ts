/**
 * The convergence strategy of one loop: per-pass and overall timeouts, the backoff policy printed as
 * its value and its delays, the dead-letter rule — and, when measured, time to converge, passes per
 * convergence and the keys parked now, next to what is declared.
 *
 * @module
 */
import { Backoff } from '../../src/index.js';
import { code, codeSpan, heading, list, paragraph } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { figuresOf, measured } from './describe-context.js';
import { CONVERGENCE_LABELS, HEADINGS } from './headings.js';
import type { LoopFacts } from './loop-facts.js';

/** The "Convergence strategy" section of one loop. */
export function convergenceSection(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const live = figuresOf(ctx, f);
  const label = (l: { en: string; zh: string }): Block => paragraph(`**${say.t(l)}**${say.t({ en: ':', zh: '：' })}`);

  const timeouts: string[] = [
    `${say.t({ en: 'Per pass', zh: '单次协调超时' })}${say.colon}${
      f.timeout === undefined
        ? say.t({ en: 'none — a pass may run as long as it likes (set `timeout`)', zh: '无——一次协调可以无限期运行（设置 `timeout`）' })
        : say.t({
            en: `${say.duration(f.timeout)} (\`timeout\`): the pass is aborted through \`ctx.signal\` and counts as a transient failure`,
            zh: `${say.duration(f.timeout)}（\`timeout\`）：通过 \`ctx.signal\` 中止该次协调，计为临时错误`,
          })
    }`,
    `${say.t({ en: 'Overall convergence', zh: '整体收敛超时' })}${say.colon}${
      f.convergenceDeadline === undefined
        ? say.t({ en: 'none (set `convergenceDeadline` to flag keys that never converge)', zh: '无（设置 `convergenceDeadline` 以标记始终无法收敛的 key）' })
        : say.t({
            en: `${say.duration(f.convergenceDeadline)} (\`convergenceDeadline\`): a desired revision not converged by then is logged (\`Convergence deadline exceeded\`), counted, flagged \`overdue\`${f.conditions ? ` and marked \`${f.conditionPrefix}Degraded\` by its next failed pass` : ''}; the key keeps being reconciled`,
            zh: `${say.duration(f.convergenceDeadline)}（\`convergenceDeadline\`）：到期仍未收敛的期望版本会被记录日志（\`Convergence deadline exceeded\`）、计数并标记为 \`overdue\`${f.conditions ? `，下一次失败的协调会将其标为 \`${f.conditionPrefix}Degraded\`` : ''}；该 key 仍会继续协调`,
          })
    }`,
  ];
  if (live !== undefined) {
    const conv = live.convergence;
    const ttc = conv?.timeToConverge;
    const passes = conv?.passesToConverge;
    timeouts.push(
      measured(ctx) +
        (ttc === undefined
          ? conv === undefined
            ? say.t({ en: 'time to converge not recorded (describe with `live: watchLoops(loops)` started before the changes)', zh: '未记录收敛时间（在变更前启动 `watchLoops(loops)` 并以 `live` 传入）' })
            : say.t({ en: 'no desired revision has converged yet', zh: '尚无期望版本完成收敛' })
          : say.t({
              en: `time to converge p50 ${say.duration(ttc.p50)}, p99 ${say.duration(ttc.p99)}, max ${say.duration(ttc.max)} over ${ttc.count} revision(s); passes per convergence p50 ${passes?.p50 ?? '—'}, max ${passes?.max ?? '—'}`,
              zh: `收敛时间 p50 ${say.duration(ttc.p50)}，p99 ${say.duration(ttc.p99)}，最大 ${say.duration(ttc.max)}（共 ${ttc.count} 个版本）；每次收敛所需协调次数 p50 ${passes?.p50 ?? '—'}，最大 ${passes?.max ?? '—'}`,
            })) +
        say.t({
          en: `; ${live.passes} pass(es), ${live.overdue} overdue, ${conv?.pending ?? 0} revision(s) converging now`,
          zh: `；共 ${live.passes} 次协调，${live.overdue} 个超期，${conv?.pending ?? 0} 个版本正在收敛`,
        }),
    );
  }

  const policy = f.backoff;
  const steps = Math.min(f.steps, 1000);
  const all = Backoff.delays(policy, steps).map((d) => say.duration(d));
  const delays = all.length <= 8 ? all : [...all.slice(0, 6), '…', ...all.slice(-1)];
  const jitter = policy.kind === 'jitter' ? say.t({ en: ' (one seeded draw of the jitter)', zh: '（抖动取一次固定种子的样本）' }) : '';
  const backoff: string[] = [
    f.steps === 0
      ? say.t({ en: 'No retry: the first failure quarantines the key (`steps: 0`).', zh: '不重试：第一次失败即隔离该 key（`steps: 0`）。' })
      : say.t({
          en: `Per key, reset by a success${f.backoffIsDefault ? ' (the default policy)' : ''}; delays after failure 1…${f.steps}: ${delays.join(', ')}${jitter}.`,
          zh: `按 key 计算，成功后重置${f.backoffIsDefault ? '（默认策略）' : ''}；第 1…${f.steps} 次失败后的等待：${delays.join('、')}${jitter}。`,
        }),
    f.rateLimit === undefined
      ? say.t({ en: 'No global rate limit on retries (`rateLimit`).', zh: '重试没有全局限速（`rateLimit`）。' })
      : say.t({
          en: `Global rate limit on retries: ${f.rateLimit.qps} per second, bursts of ${f.rateLimit.burst}.`,
          zh: `重试全局限速：每秒 ${f.rateLimit.qps} 次，突发 ${f.rateLimit.burst} 次。`,
        }),
  ];

  const deadLetter: string[] = [
    say.t({
      en: `Failure ${f.steps + 1} in a row quarantines the key: no automatic pass, \`Key quarantined\` at error${f.conditions ? `, \`${f.conditionPrefix}Degraded=True\` on its status` : ''}, listed in \`loop.snapshot().parked\`; it runs again on \`loop.release(key)\`, \`loop.trigger(key)\` or a new desired revision.`,
      zh: `连续第 ${f.steps + 1} 次失败时隔离该 key：不再自动协调，以 error 级别记录 \`Key quarantined\`${f.conditions ? `，状态置为 \`${f.conditionPrefix}Degraded=True\`` : ''}，列在 \`loop.snapshot().parked\` 中；\`loop.release(key)\`、\`loop.trigger(key)\` 或新的期望版本会让它重新运行。`,
    }),
    say.t({
      en: 'A permanent failure (`PermanentError`, `ValidationError`, `ResourceTooLargeError`, `MalformedResourceError`, `Outcome.terminal`) parks the key at once (terminal) until its desired state changes or it is released.',
      zh: '永久错误（`PermanentError`、`ValidationError`、`ResourceTooLargeError`、`MalformedResourceError`、`Outcome.terminal`）会立即搁置该 key（terminal），直到其期望状态改变或被手动释放。',
    }),
  ];
  if (live !== undefined) {
    deadLetter.push(
      measured(ctx) +
        (live.parked.length === 0
          ? say.t({ en: 'no key parked now', zh: '当前没有被搁置的 key' })
          : say.t({ en: `${live.parked.length} key(s) parked now: `, zh: `当前有 ${live.parked.length} 个 key 被搁置：` }) +
            say.join(
              live.parked.map((p) =>
                say.t({
                  en: `${codeSpan(p.key)} (${p.reason}, ${p.failures} failure(s)${p.lastError === undefined ? '' : `: ${codeSpan(shorten(p.lastError))}`})`,
                  zh: `${codeSpan(p.key)}（${p.reason}，失败 ${p.failures} 次${p.lastError === undefined ? '' : `：${codeSpan(shorten(p.lastError))}`}）`,
                }),
              ),
            )) +
        say.t({ en: `; ${live.quarantined} quarantined and ${live.released} released so far.`, zh: `；累计隔离 ${live.quarantined} 次，释放 ${live.released} 次。` }),
    );
  }

  return [
    heading(3, say.t(HEADINGS.convergence)),
    label(CONVERGENCE_LABELS.timeouts),
    list(timeouts),
    label(CONVERGENCE_LABELS.backoff),
    code('text', `${Backoff.describe(policy)}\n${JSON.stringify(policy)}`),
    list(backoff),
    label(CONVERGENCE_LABELS.deadLetter),
    list(deadLetter),
  ];
}

/** A long error message cut to one readable line. */
export function shorten(text: string, max = 120): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
