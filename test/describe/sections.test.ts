/**
 * Every section of the reconcile-loop design template appears, in the template's order, in both
 * languages — for store loops in both styles and for a stream loop.
 */
import { describe, expect, it } from 'vitest';
import { of } from 'rxjs';
import { createMemoryStore, defineLoop, describeLoops, setDiff } from 'rx-reconcile';
import type { Loop } from 'rx-reconcile';
import type { Language } from '../../operators/describe/loop-docs.js';

/** The template's sections (its Chinese headings), in its order; `LOOP` stands for each loop's block. */
const TEMPLATE_ZH = ['## 闭环 vs 流程', '## 核心闭环清单', 'LOOP', '## 幂等性保证', '### 检查清单 (Checklist)', '### 幂等性测试', '## 失败处理', '### 失败分类', '### 人工介入路径', '## 可观测性', '### 关键指标', '### 关键日志', '## 并发与冲突', '### 并发控制', '### 冲突解决'];
const LOOP_ZH = (n: number, name: string) => [`## Reconcile Loop ${n}: \`${name}\``, '### 闭环模型', '### 触发条件', '### 期望状态来源', '### 当前状态获取', '### 比较逻辑', '### 纠偏动作', '### 收敛策略'];
const TEMPLATE_EN = ['## Reconcile loops vs pipelines', '## Loop inventory', 'LOOP', '## Idempotency guarantees', '### Checklist', '### Idempotency tests', '## Failure handling', '### Failure classes', '### Manual intervention path', '## Observability', '### Key metrics', '### Key log lines', '## Concurrency and conflicts', '### Concurrency control', '### Conflict resolution'];
const LOOP_EN = (n: number, name: string) => [`## Reconcile loop ${n}: \`${name}\``, '### Loop model', '### Triggers', '### Desired-state source', '### Observing the current state', '### Compare logic', '### Corrections', '### Convergence strategy'];

async function withLoops<T>(run: (loops: Loop[]) => T): Promise<T> {
  const store = createMemoryStore();
  const loops = [
    defineLoop({ name: 'halo', store, kind: 'Todo', reconcile: () => undefined }),
    defineLoop<{ items: Record<string, string> }, unknown, Record<string, string>, string>({
      name: 'phases',
      store,
      kind: 'Bucket',
      observe: () => ({}),
      compare: (desired, current) => setDiff(desired?.spec.items ?? {}, current),
      correct: () => undefined,
    }),
    defineLoop({ name: 'mirror', desired$: of(new Map([['a', 1]])), reconcile: () => undefined }),
  ];
  try {
    return run(loops);
  } finally {
    await Promise.all(loops.map((loop) => loop.stop()));
  }
}

function outline(markdown: string): string[] {
  return markdown.split('\n').filter((line) => /^#{2,3} /.test(line));
}

function expected(language: Language, names: readonly string[]): string[] {
  const [template, loop] = language === 'zh' ? [TEMPLATE_ZH, LOOP_ZH] : [TEMPLATE_EN, LOOP_EN];
  return template.flatMap((heading) => (heading === 'LOOP' ? names.flatMap((name, i) => loop(i + 1, name)) : [heading]));
}

describe('the sections of the template', () => {
  for (const language of ['zh', 'en'] as const) {
    it(`appear in the template's order (${language}), one block per loop, for store and stream loops`, async () => {
      const markdown = await withLoops((loops) => describeLoops(loops, { language }));
      expect(outline(markdown)).toEqual(expected(language, ['halo', 'phases', 'mirror']));
      expect(markdown.split('\n')[0]).toBe(language === 'zh' ? '# 闭环设计 (Reconcile Loops)' : '# Reconcile loops');
    });

    it(`list the convergence strategy's parts and the checklists' items in the template's order (${language})`, async () => {
      const markdown = await withLoops((loops) => describeLoops([loops[0] as Loop], { language }));
      const labels = language === 'zh' ? ['**超时处理**', '**退避策略**', '**死信/隔离**'] : ['**Timeouts**', '**Backoff**', '**Dead-letter / quarantine**'];
      const triggers = language === 'zh' ? ['资源变更事件 (Watch)', '定时触发 (Resync)', '手动触发 (Force Reconcile)', '依赖资源变更'] : ['Resource change events (watch)', 'Periodic (resync)', 'Manual (force reconcile)', 'Dependency changes'];
      const idempotency =
        language === 'zh'
          ? ['创建操作使用唯一标识符', '更新操作检查版本号', '删除操作检查存在性', '副作用操作有去重机制']
          : ['Creates use a unique identity', 'Updates check the version', 'Deletes check existence', 'Side effects are de-duplicated'];
      const concurrency = language === 'zh' ? ['单资源串行协调 (Work Queue)', '乐观并发 (ResourceVersion)', '分布式锁 (Leader Election)'] : ['Serial per key (work queue)', 'Optimistic concurrency (resource version)', 'Leader election / sharding'];
      for (const group of [labels, triggers, idempotency, concurrency]) {
        const at = group.map((text) => markdown.indexOf(text));
        expect(at.every((i) => i > 0), group.join(' | ')).toBe(true);
        expect([...at].sort((a, b) => a - b)).toEqual(at);
      }
      for (const item of [...triggers, ...idempotency, ...concurrency]) {
        expect(markdown, item).toMatch(new RegExp(`^[-*] \\[[x ]\\] ${item.replace(/[()/]/g, '\\$&')}`, 'm'));
      }
    });
  }

  it('has the inventory table with the template\'s columns', async () => {
    const zh = await withLoops((loops) => describeLoops(loops, { language: 'zh' }));
    expect(zh).toContain('| 闭环名称 | 触发方式 | 收敛周期 | 幂等性 | 源码位置 |');
    const en = await withLoops((loops) => describeLoops(loops));
    expect(en).toContain('| Loop | Triggers | Convergence period | Idempotent | Source |');
    expect(en).toContain('| Difference | Correction | Idempotency guarantee |');
    expect(zh).toContain('| 差异类型 | 纠偏动作 | 幂等保证 |');
    expect(zh).toContain('| 闭环 | 场景 | 输入 | 首次执行 | 重复执行 | 预期结果 | 结果 |');
    expect(zh).toContain('| 失败类型 | 可重试 | 处理策略 | 触发来源 |');
  });
});
