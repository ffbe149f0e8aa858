/**
 * Benchmarks 19 and 20 (issue 10): the queue never starves the process.
 *
 * - `drain`: K keys whose passes do no real I/O (an already-resolved Promise) drained by N workers,
 *   while `monitorEventLoopDelay` samples the event loop: delay p99 and max, and the drain time. Run
 *   with the default time slice (`library`) and with yielding effectively off (`noYield`: a 10⁹ ms
 *   slice, the queue as it was before it yielded) for the throughput baseline.
 * - `hot`: H keys doing T ms of I/O each and requeueing every P ms; their start lateness (start −
 *   due) p99, alone (`alone`) and next to a key that returns `requeueAfter(0)` forever (`withHot`).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Observable, type Subscriber } from 'rxjs';
import { Outcome } from 'rx-reconcile';
import type { ReconcileRequest } from '../../src/types.js';
import { createQueueControl, workQueue } from 'rx-reconcile/operators';
import { noViolations, nowNs, readParams, runCase, sleep, summarizeNs } from '../lib/util.js';

const p = readParams({ case: 'drain' as 'drain' | 'hot', mode: 'library' as string, K: 100_000, N: 16, H: 100, T: 5, P: 50, windowMs: 3000 });

function feed(): { source$: Observable<string | ReconcileRequest>; send: (item: string | ReconcileRequest) => void } {
  let sink: Subscriber<string | ReconcileRequest> | undefined;
  const source$ = new Observable<string | ReconcileRequest>((subscriber) => {
    sink = subscriber;
  });
  return { source$, send: (item) => sink?.next(item) };
}

async function drain() {
  const control = createQueueControl();
  const { source$, send } = feed();
  let done = 0;
  let resolveDone!: () => void;
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  const options = p.mode === 'noYield' ? { timeSlice: 1e9 } : {};
  source$.pipe(workQueue(async () => Outcome.converged(), { workers: p.N, control, ...options })).subscribe(() => {
    if (++done === p.K) resolveDone();
  });
  await sleep(20);
  // The producer's own loop (100k sends) blocks as long as it runs, whatever consumes it: measured
  // apart. The drain is measured by the gaps between the ticks of a 1 ms interval, and by Node's
  // event-loop delay monitor (which misses the first late tick).
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const t0 = nowNs();
  for (let i = 0; i < p.K; i++) send(`key-${i}`);
  const sendMs = (nowNs() - t0) / 1e6;
  histogram.enable();
  let last = nowNs();
  let maxGapNs = 0;
  const gaps: number[] = [];
  const ticker = setInterval(() => {
    const now = nowNs();
    const gap = now - last - 1e6;
    gaps.push(Math.max(0, gap));
    if (gap > maxGapNs) maxGapNs = gap;
    last = now;
  }, 1);
  await finished;
  const drainMs = (nowNs() - t0) / 1e6;
  await sleep(5); // the tick that ends the last gap
  clearInterval(ticker);
  histogram.disable();
  gaps.sort((a, b) => a - b);
  const v = noViolations();
  if (control.snapshot().counters.passes !== p.K) v.other += 1;
  return {
    metrics: {
      mode: p.mode,
      K: p.K,
      drainMs,
      nsPerPass: (drainMs * 1e6) / p.K,
      sendMs,
      gapMaxMs: maxGapNs / 1e6,
      gapP99Ms: (gaps[Math.max(0, Math.ceil(gaps.length * 0.99) - 1)] ?? 0) / 1e6,
      monitorP99Ms: histogram.percentile(99) / 1e6,
      monitorMaxMs: histogram.max / 1e6,
      yields: control.snapshot().counters.yields,
    },
    violations: v,
  };
}

async function hot() {
  const control = createQueueControl();
  const { source$, send } = feed();
  const due = new Map<string, number>();
  const lateness: number[] = [];
  let measuring = false;
  let hotPasses = 0;
  const work = (request: ReconcileRequest): Promise<Outcome> | Outcome => {
    if (request.key === 'hot') {
      hotPasses += 1;
      return Outcome.requeueAfter(0);
    }
    const expected = due.get(request.key);
    const now = nowNs();
    if (measuring && expected !== undefined) lateness.push(Math.max(0, now - expected));
    return new Promise((resolve) =>
      setTimeout(() => {
        due.set(request.key, nowNs() + p.P * 1e6);
        resolve(Outcome.requeueAfter(p.P));
      }, p.T),
    );
  };
  source$.pipe(workQueue(work, { workers: p.N, control })).subscribe();
  for (let i = 0; i < p.H; i++) send(`io-${i}`);
  if (p.mode === 'withHot') send('hot');
  await sleep(500);
  measuring = true;
  await sleep(p.windowMs);
  measuring = false;
  const summary = summarizeNs(lateness);
  return {
    metrics: {
      mode: p.mode,
      H: p.H,
      samples: summary.count,
      latenessP50Ms: summary.p50Us / 1000,
      latenessP99Ms: summary.p99Us / 1000,
      hotPasses,
      hotReported: control.snapshot().counters.hot,
    },
    violations: noViolations(),
  };
}

runCase(() => (p.case === 'drain' ? drain() : hot()));
