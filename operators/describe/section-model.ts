/**
 * The loop model of one loop: the observe → compare → correct → verify diagram of the template, each
 * box labelled with what does that step in this loop, and the way back labelled with its triggers.
 *
 * @module
 */
import { code, codeSpan, heading, paragraph } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { HEADINGS } from './headings.js';
import type { Bilingual, Phrasebook } from './language.js';
import type { LoopFacts } from './loop-facts.js';
import { triggerSummary } from './section-triggers.js';

const INNER = 14;
const GAP = 4;

/** The "Loop model" section of one loop. */
export function modelSection(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const where =
    f.mode === 'streams'
      ? say.t({ en: 'over `desired$` / `current$` streams', zh: '基于 `desired$` / `current$` 流' })
      : say.t({ en: `over kind ${codeSpan(f.kind ?? '?')} in a store`, zh: `基于存储中的 ${codeSpan(f.kind ?? '?')} 类型` });
  const style =
    f.style === 'reconcile'
      ? say.t({
          en: `One \`reconcile(request, ctx)\` observes, compares and corrects ${where}; the \`Outcome\` it returns (nothing = converged) decides what comes next, and the next pass verifies.`,
          zh: `一个 \`reconcile(request, ctx)\` ${where}完成观察、比较与纠偏；它返回的 \`Outcome\`（无返回 = 已收敛）决定下一步，下一次协调负责验证。`,
        })
      : say.t({
          en: `Four phases ${where}: \`observe\` reads the world, \`compare\` plans corrections, \`correct\` applies them, ${f.verifies ? 'and verify observes and compares again' : 'and verify is off (`verify: false`)'}.`,
          zh: `四个阶段，${where}：\`observe\` 读取外部世界，\`compare\` 规划纠偏，\`correct\` 执行纠偏，${f.verifies ? '验证阶段再次观察并比较' : '验证已关闭（`verify: false`）'}。`,
        });
  const defined = f.source === undefined ? '' : say.t({ en: `Defined at ${codeSpan(f.source)}. `, zh: `定义于 ${codeSpan(f.source)}。` });
  return [heading(3, say.t(HEADINGS.model)), code('text', diagram(say, f)), paragraph(`${defined}${style}`)];
}

/** The diagram, aligned by display width (a CJK character takes two columns). */
export function diagram(say: Phrasebook, f: LoopFacts): string {
  const names: Bilingual[] = [
    { en: 'Observe', zh: 'Observe 观察' },
    { en: 'Compare', zh: 'Compare 比较' },
    { en: 'Correct', zh: 'Correct 纠偏' },
    { en: 'Verify', zh: 'Verify 验证' },
  ];
  const labels: Bilingual[] =
    f.style === 'reconcile'
      ? [
          { en: 'reconcile()', zh: 'reconcile()' },
          { en: 'reconcile()', zh: 'reconcile()' },
          { en: 'reconcile()', zh: 'reconcile()' },
          { en: 'next pass', zh: '下一次协调' },
        ]
      : [
          { en: 'observe()', zh: 'observe()' },
          { en: 'compare()', zh: 'compare()' },
          { en: 'correct()', zh: 'correct()' },
          f.verifies ? { en: 're-compare', zh: '重新比较' } : { en: 'off', zh: '关闭' },
        ];
  const bar = '─'.repeat(INNER);
  const gap = ' '.repeat(GAP);
  const top = names.map(() => `┌${bar}┐`).join(gap);
  const first = names.map((n) => `│${center(say.t(n))}│`).join('───▶');
  const second = labels.map((l) => `│${center(say.t(l))}│`).join(gap);
  const bottom = names.map(() => `└${bar}┘`).join(gap);
  const box = INNER + 2;
  const up = Math.floor(box / 2);
  const down = 4 * box + 3 * GAP - 1 - up;
  const back = `${' '.repeat(up)}▲${' '.repeat(down - up - 1)}│`;
  const loop = `${' '.repeat(up)}└${'─'.repeat(down - up - 1)}┘`;
  const again = say.t({ en: 're-observe', zh: '再观察' });
  const why = `${' '.repeat(up + 2)}(${again}${say.colon}${triggerSummary(say, f, false).replace(/, |、/g, ' · ')} · ${say.t({ en: 'requeue', zh: '重新入队' })})`;
  return [top, first, second, bottom, back, loop, why].join('\n');
}

function center(text: string): string {
  const width = displayWidth(text);
  if (width >= INNER) return text;
  const left = Math.floor((INNER - width) / 2);
  return `${' '.repeat(left)}${text}${' '.repeat(INNER - width - left)}`;
}

/** Columns `text` takes in a monospace font: East Asian wide characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6);
    width += wide ? 2 : 1;
  }
  return width;
}
