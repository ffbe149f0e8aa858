/**
 * Two micro-measurements behind the reasons in BENCHMARKS.md (#1, #2), in one process, A and B
 * alternating, median of the rounds:
 *
 * 1. the repeated trigger: K keys already queued (no worker ever finishes), then E triggers for random
 *    keys among them: the library's `KeyedQueue.add` against the hand-written queue's `add`, both
 *    called directly (no RxJS);
 * 2. the RxJS source edge: E values into a counter, called directly, through a plain `new Observable`
 *    subscriber, and through a `Subject`.
 *
 *   npm run bench:micro                # K = 100k, E = 2M, 5 rounds
 *   npm run bench:micro -- --quick     # small sizes (the test suite runs this)
 *
 * `--conditions` measures what the status conditions cost a no-change pass instead (conditions.ts),
 * `--store` what the memory store's writes cost (store-writes.ts).
 */
import { Observable, Subject, type Subscriber } from 'rxjs';
import { KeyedQueue as LibraryQueue } from '../../src/queue.js';
import { KeyedQueue as BaselineQueue } from '../baselines/keyed-queue.js';
import { makeKeys } from '../lib/workload.js';
import { median, nowNs } from '../lib/util.js';

const quick = process.argv.includes('--quick');
if (process.argv.includes('--conditions')) {
  const { conditionsCost } = await import('./conditions.js');
  await conditionsCost(quick);
  process.exit(0);
}
if (process.argv.includes('--store')) {
  const { storeWriteCost } = await import('./store-writes.js');
  await storeWriteCost(quick);
  process.exit(0);
}
const K = quick ? 5_000 : 100_000;
const E = quick ? 50_000 : 2_000_000;
const ROUNDS = quick ? 3 : 5;

const keys = makeKeys(K);
const events = new Uint32Array(E);
let seed = 12345;
for (let i = 0; i < E; i++) {
  // xorshift32: a fixed sequence, so both queues see the same triggers.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  events[i] = (seed >>> 0) % K;
}

/** ns per call of `add` over the event sequence. */
function timeAdds(add: (key: string) => void): number {
  const t0 = nowNs();
  for (let i = 0; i < E; i++) add(keys[events[i]!]!);
  return (nowNs() - t0) / E;
}

const never = (): Promise<void> => new Promise<void>(() => undefined);

// 1. The repeated trigger.
const library = new LibraryQueue(never, () => undefined, { workers: 16 });
const baseline = new BaselineQueue(never, 16);
for (const key of keys) {
  library.add(key);
  baseline.add(key);
}
const lib: number[] = [];
const base: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  lib.push(timeAdds((key) => library.add(key)));
  base.push(timeAdds((key) => baseline.add(key)));
}
library.dispose();
baseline.stop();

// 2. The source edge.
let count = 0;
const consume = (_key: string): void => {
  count++;
};
let sink: Subscriber<string> | undefined;
const plain$ = new Observable<string>((subscriber) => {
  sink = subscriber;
});
const plainSub = plain$.subscribe(consume);
const subject = new Subject<string>();
const subjectSub = subject.subscribe(consume);
const direct: number[] = [];
const plain: number[] = [];
const viaSubject: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  direct.push(timeAdds(consume));
  plain.push(timeAdds((key) => sink?.next(key)));
  viaSubject.push(timeAdds((key) => subject.next(key)));
}
plainSub.unsubscribe();
subjectSub.unsubscribe();
if (count !== 3 * ROUNDS * E) throw new Error(`lost values: ${count} of ${3 * ROUNDS * E}`);

const f = (ns: number): string => `${ns.toFixed(1)} ns`;
const rows: [string, number, string][] = [
  [`repeated trigger, ${K} queued keys: library KeyedQueue.add`, median(lib), `${(median(lib) / median(base)).toFixed(2)}× the baseline`],
  [`repeated trigger, ${K} queued keys: hand-written queue add`, median(base), ''],
  ['source edge: direct call', median(direct), ''],
  ['source edge: plain Observable subscriber', median(plain), `+${f(median(plain) - median(direct))}`],
  ['source edge: Subject', median(viaSubject), `+${f(median(viaSubject) - median(direct))}`],
];
process.stdout.write(`${E.toLocaleString('en-US')} calls per round, median of ${ROUNDS} alternating rounds, Node ${process.version}\n`);
for (const [what, ns, note] of rows) process.stdout.write(`${what.padEnd(62)} ${f(ns).padStart(10)}  ${note}\n`);
