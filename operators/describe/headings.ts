/**
 * The headings of a described document, in both languages: the sections of the reconcile-loop design
 * template, in its order. The Chinese headings are the template's own; the English ones translate them.
 *
 * @module
 */
import type { Bilingual } from './language.js';

/** Section headings, keyed by section. */
export const HEADINGS = Object.freeze({
  loopsVsPipelines: { en: 'Reconcile loops vs pipelines', zh: '闭环 vs 流程' },
  inventory: { en: 'Loop inventory', zh: '核心闭环清单' },
  model: { en: 'Loop model', zh: '闭环模型' },
  triggers: { en: 'Triggers', zh: '触发条件' },
  source: { en: 'Desired-state source', zh: '期望状态来源' },
  observe: { en: 'Observing the current state', zh: '当前状态获取' },
  compare: { en: 'Compare logic', zh: '比较逻辑' },
  corrections: { en: 'Corrections', zh: '纠偏动作' },
  convergence: { en: 'Convergence strategy', zh: '收敛策略' },
  idempotency: { en: 'Idempotency guarantees', zh: '幂等性保证' },
  checklist: { en: 'Checklist', zh: '检查清单 (Checklist)' },
  idempotencyTests: { en: 'Idempotency tests', zh: '幂等性测试' },
  failures: { en: 'Failure handling', zh: '失败处理' },
  failureClasses: { en: 'Failure classes', zh: '失败分类' },
  intervention: { en: 'Manual intervention path', zh: '人工介入路径' },
  observability: { en: 'Observability', zh: '可观测性' },
  metrics: { en: 'Key metrics', zh: '关键指标' },
  logs: { en: 'Key log lines', zh: '关键日志' },
  concurrencyAndConflicts: { en: 'Concurrency and conflicts', zh: '并发与冲突' },
  concurrency: { en: 'Concurrency control', zh: '并发控制' },
  conflicts: { en: 'Conflict resolution', zh: '冲突解决' },
} satisfies Record<string, Bilingual>);

/** The heading of the `index`-th loop's section (the template's "Reconcile Loop 1: [name]"). */
export function loopHeading(index: number, name: string): Bilingual {
  return { en: `Reconcile loop ${index}: ${name}`, zh: `Reconcile Loop ${index}: ${name}` };
}

/** Bold labels inside the convergence strategy. */
export const CONVERGENCE_LABELS = Object.freeze({
  timeouts: { en: 'Timeouts', zh: '超时处理' },
  backoff: { en: 'Backoff', zh: '退避策略' },
  deadLetter: { en: 'Dead-letter / quarantine', zh: '死信/隔离' },
  measured: { en: 'Measured', zh: '实测' },
} satisfies Record<string, Bilingual>);
