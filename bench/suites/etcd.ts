/**
 * Benchmarks 27–29: several replicas on etcd (issue 12). Workloads in `bench/cases/etcd.ts`; each
 * run starts its own etcd (needs the `etcd` binary; without it the rows say so).
 */
import { fmt, metric, missing, row, spec } from '../suite.js';
import type { Benchmark } from '../suite.js';

const CASE = 'bench/cases/etcd.ts';
const TTL = 2000;

export const ETCD_BENCHMARKS: Benchmark[] = [
  {
    n: 27,
    name: 'etcd/failover',
    inQuick: false,
    runs: () => [spec('b27', CASE, { what: 'failover', ttl: TTL, shards: 32 }, { role: 'library', reps: 3, needs: ['etcd'], timeoutMs: 120_000 })],
    evaluate(get) {
      const A = get('b27');
      const ms = metric(A, 'failoverMs');
      return [
        row({
          bench: '27 etcd/failover',
          measure: `SIGKILL of one of 3 replica processes → every shard owned by a live replica again (ms; TTL ${TTL} ms, median of 3)`,
          library: ms,
          baselineText: `TTL ${fmt(TTL, 'ms')}`,
          unit: 'ms',
          ratio: ms === undefined ? null : ms / TTL,
          goal: `≤ TTL + 1 s (${fmt(TTL + 1000, 'ms')})`,
          checked: ms,
          limit: TTL + 1000,
          direction: 'max',
          why: missing(A),
          only: 27,
        }),
      ];
    },
  },
  {
    n: 28,
    name: 'etcd/scale-out',
    inQuick: false,
    runs: () => {
      const params = { what: 'throughput', K: 600, passMs: 100, workers: 8, shards: 96 };
      return [
        spec('b28:three', CASE, { ...params, replicas: 3 }, { role: 'library', reps: 1, needs: ['etcd'], timeoutMs: 180_000 }),
        spec('b28:one', CASE, { ...params, replicas: 1 }, { role: 'baseline', reps: 1, needs: ['etcd'], timeoutMs: 180_000 }),
      ];
    },
    evaluate(get) {
      const three = get('b28:three');
      const one = get('b28:one');
      const l = metric(three, 'itemsPerSec');
      const b = metric(one, 'itemsPerSec');
      const shares = ['a', 'b', 'c'].map((r) => fmt(metric(three, `writes_${r}`))).join('/');
      const drainL = metric(three, 'drainItemsPerSec');
      const drainB = metric(one, 'drainItemsPerSec');
      return [
        row({
          bench: '28 etcd/scale-out',
          measure: `items/s over the middle 80 % of the writes, 600 items, passes of 100 ms I/O, 8 workers per replica process, 96 shards: 3 replicas (shares ${shares}) vs 1`,
          library: l,
          baseline: b,
          unit: '/s',
          goal: '≥ 2.5×',
          checked: l !== undefined && b !== undefined ? l / b : undefined,
          limit: 2.5,
          direction: 'min',
          why: missing(three, one),
          only: 28,
        }),
        row({
          bench: '28 etcd/scale-out',
          measure: 'same, items/s over the whole drain (from the first spec change to the last write) (info)',
          library: drainL,
          baseline: drainB,
          unit: '/s',
          goal: '–',
          checked: drainL !== undefined && drainB !== undefined ? drainL / drainB : undefined,
          limit: 0,
          info: true,
          why: missing(three, one),
          only: 28,
        }),
      ];
    },
  },
  {
    n: 29,
    name: 'etcd/store-writes',
    inQuick: true,
    runs: (quick) => [
      spec('b29', CASE, { what: 'writes', K: quick ? 100 : 1000, rounds: quick ? 1 : 7, warmUp: quick ? 1 : 3, concurrency: 16 }, { role: 'library', reps: 1, needs: ['etcd'], timeoutMs: 180_000 }),
    ],
    evaluate(get, quick) {
      const A = get('b29');
      const ratio = metric(A, 'ratio');
      return [
        row({
          bench: '29 etcd/store-writes',
          measure: `writes/s, ${quick ? 100 : 1000} creates + as many updates, 16 in flight: etcd store (CAS transaction, checks, frozen copies) vs plain etcd3 puts of the same JSON, on one etcd, ${quick ? 1 : 7} rounds taking turns after ${quick ? 1 : 3} warm-up rounds (median ratio)`,
          library: metric(A, 'libraryWritesPerSec'),
          baseline: metric(A, 'baselineWritesPerSec'),
          unit: '/s',
          ratio: ratio ?? null,
          goal: '≥ 0.7×',
          checked: ratio,
          limit: 0.7,
          direction: 'min',
          why: missing(A),
          only: 29,
          failNote: 'a CAS is a transaction, which etcd applies slower than a put: see the next row',
        }),
        row({
          bench: '29 etcd/store-writes',
          measure: 'same, etcd store vs hand-written etcd3 compare-and-set transactions of the same JSON (info: what the store costs over its own floor)',
          library: metric(A, 'libraryWritesPerSec'),
          baseline: metric(A, 'casWritesPerSec'),
          unit: '/s',
          ratio: metric(A, 'casRatio') ?? null,
          goal: '–',
          checked: metric(A, 'casRatio'),
          limit: 0,
          info: true,
          why: missing(A),
          only: 29,
        }),
      ];
    },
  },
];
