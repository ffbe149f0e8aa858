/**
 * A scripted run shared by the observability tests: one loop over the memory store whose keys end
 * in every kind of outcome, on virtual time. Every pass takes 250 ms of virtual time.
 *
 * Keys start in name order (the store lists sorted), two workers:
 *
 * | key      | passes                                                                    |
 * |----------|---------------------------------------------------------------------------|
 * | a-ok     | 0→250 converged                                                           |
 * | b-flaky  | 0→250 retry (transient, backoff 1 s); 1250→1500 converged                  |
 * | c-broken | 250→500, 1500→1750, 2750→3000 retry; the 3rd failure quarantines it        |
 * | d-bad    | 250→500 terminal (permanent)                                               |
 * | e-poll   | 500→750 requeueAfter(5000); 5750→6000 converged                            |
 * | f-dep    | 500→750 waiting (dependency, 2000 ms); 2750→3000 converged                 |
 */
import { Backoff, DependencyNotReadyError, Outcome, PermanentError, TransientError, createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Logger, Loop, MemoryStore, Metrics } from 'rx-reconcile';
import type { Clock } from './clock.js';

export const KEYS = ['a-ok', 'b-flaky', 'c-broken', 'd-bad', 'e-poll', 'f-dep'] as const;

export interface Scenario {
  readonly store: MemoryStore;
  readonly loop: Loop;
}

export async function startScenario(
  clock: Clock,
  options: { readonly name?: string; readonly metrics?: Metrics; readonly logger?: Logger } = {},
): Promise<Scenario> {
  const store = createMemoryStore({ scheduler: clock.scheduler });
  for (const name of KEYS) await store.create('Item', { metadata: { name }, spec: { name } });
  const passes = new Map<string, number>();
  const loop = defineLoop<{ name: string }, unknown>({
    name: options.name ?? 'shop',
    store,
    kind: 'Item',
    workers: 2,
    scheduler: clock.scheduler,
    backoff: Backoff.constant({ delay: 1000, steps: 2 }),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    async reconcile(request) {
      const n = (passes.get(request.key) ?? 0) + 1;
      passes.set(request.key, n);
      await clock.sleep(250);
      switch (request.key) {
        case 'b-flaky':
          if (n === 1) throw new TransientError('upstream timed out');
          return Outcome.converged();
        case 'c-broken':
          throw new TransientError(`disk full (attempt ${n})`);
        case 'd-bad':
          throw new PermanentError('title is reserved');
        case 'e-poll':
          return n === 1 ? Outcome.requeueAfter(5000) : Outcome.converged();
        case 'f-dep':
          if (n === 1) throw new DependencyNotReadyError('database', { retryAfterMs: 2000 });
          return Outcome.converged();
        default:
          return Outcome.converged();
      }
    },
  });
  return { store, loop };
}

/** The value of one sample line of the Prometheus text, or undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    if (line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  return undefined;
}

/** The metric names declared by `# TYPE` lines, with their types. */
export function declared(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], m[2]);
  }
  return out;
}

/** The `le` bounds of one histogram series, in order (without `+Inf`). */
export function bucketBounds(text: string, metric: string, labels: string): number[] {
  const out: number[] = [];
  const prefix = `${metric}_bucket{le="`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix) || !line.includes(labels)) continue;
    const le = line.slice(prefix.length, line.indexOf('"', prefix.length));
    if (le !== '+Inf') out.push(Number(le));
  }
  return out;
}
