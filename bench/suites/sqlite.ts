/**
 * Benchmarks 21–26: the SQLite store (`rx-reconcile/sqlite`) against plain better-sqlite3 statements
 * doing the same writes in the same run (workloads: bench/cases/sqlite.ts). Issue 11's goals: a
 * durable create at ≥ 0.7× the plain insert's rate, a no-op status write that writes nothing, watch
 * latency p99 ≤ 5 ms in-process and ≤ 150 ms from another process, a re-list of 100k resources ≤ 2 s.
 */
import { fmt, metric, missing, ratioOf, row, spec } from '../suite.js';
import type { Benchmark } from '../suite.js';

const FILE = 'bench/cases/sqlite.ts';

export const SQLITE_BENCHMARKS: Benchmark[] = [
  {
    n: 21,
    name: 'sqlite/create',
    inQuick: true,
    runs: (quick) => [spec('b21', FILE, { case: 'create', N: quick ? 200 : 3000 }, { role: 'library', needs: [], reps: quick ? 1 : 3 })],
    evaluate(get) {
      const A = get('b21');
      const lib = metric(A, 'libraryPerSecond');
      const base = metric(A, 'baselinePerSecond');
      return [
        row({
          bench: '21 sqlite/create',
          measure: 'durable creates per second, one commit each (synchronous FULL) vs a plain INSERT',
          library: lib,
          baseline: base,
          unit: '/s',
          goal: 'ratio ≥ 0.7',
          checked: ratioOf(lib, base),
          limit: 0.7,
          direction: 'min',
          why: missing(A),
          only: 21,
          failNote: 'each create also writes its changes row (the watch feed) and reads the key first',
        }),
      ];
    },
  },
  {
    n: 22,
    name: 'sqlite/batched-creates',
    inQuick: false,
    runs: (quick) => [spec('b22', FILE, { case: 'batch', N: quick ? 500 : 20_000, batch: 100 }, { role: 'library', needs: [], reps: quick ? 1 : 3 })],
    evaluate(get) {
      const A = get('b22');
      const lib = metric(A, 'libraryPerSecond');
      const base = metric(A, 'baselinePerSecond');
      return [
        row({
          bench: '22 sqlite/batched-creates',
          measure: '100 creates called together (one commit) per second vs 100 INSERTs in one transaction',
          library: lib,
          baseline: base,
          unit: '/s',
          goal: 'info',
          checked: ratioOf(lib, base),
          limit: 0,
          info: true,
          why: missing(A),
          only: 22,
        }),
      ];
    },
  },
  {
    n: 23,
    name: 'sqlite/noop-status',
    inQuick: true,
    runs: (quick) => [spec('b23', FILE, { case: 'noop', N: quick ? 500 : 20_000 }, { role: 'library', needs: [], reps: quick ? 1 : 3 })],
    evaluate(get) {
      const A = get('b23');
      return [
        row({
          bench: '23 sqlite/noop-status',
          measure: 'updateStatus with an equal status: bytes and revisions written',
          library: metric(A, 'writes'),
          baselineText: '–',
          unit: '',
          ratio: null,
          goal: '= 0 (no write at all)',
          checked: metric(A, 'writes'),
          limit: 0,
          why: missing(A),
          only: 23,
        }),
        row({
          bench: '23 sqlite/noop-status',
          measure: 'µs per no-op updateStatus vs a plain SELECT + JSON.parse of the row',
          library: metric(A, 'libraryUs'),
          baseline: metric(A, 'baselineUs'),
          unit: 'µs',
          goal: 'info',
          checked: ratioOf(metric(A, 'libraryUs'), metric(A, 'baselineUs')),
          limit: 0,
          info: true,
          why: missing(A),
          only: 23,
        }),
      ];
    },
  },
  {
    n: 24,
    name: 'sqlite/watch-latency',
    inQuick: true,
    runs: (quick) => [spec('b24', FILE, { case: 'latency', N: quick ? 200 : 2000 }, { role: 'library', needs: [], reps: 1 })],
    evaluate(get) {
      const A = get('b24');
      const inProcess = metric(A, 'inProcessP99Us');
      const other = metric(A, 'otherProcessP99Ms');
      return [
        row({
          bench: '24 sqlite/watch-latency',
          measure: `commit → watch event in-process, p99 (p50 ${fmt(metric(A, 'inProcessP50Us'), 'µs')}) vs the plain commit's p99`,
          library: inProcess,
          baseline: metric(A, 'plainCommitP99Us'),
          unit: 'µs',
          ratio: null,
          goal: 'p99 ≤ 5 ms',
          checked: inProcess === undefined ? undefined : inProcess / 1000,
          limit: 5,
          why: missing(A),
          only: 24,
        }),
        row({
          bench: '24 sqlite/watch-latency',
          measure: `commit in another process (sqlite view) → watch event, p99 (p50 ${fmt(metric(A, 'otherProcessP50Ms'), 'ms')}; poll 10 ms)`,
          library: other,
          baselineText: '–',
          unit: 'ms',
          ratio: null,
          goal: 'p99 ≤ 150 ms, all seen',
          checked: metric(A, 'otherProcessSeen') === 1 ? other : Number.POSITIVE_INFINITY,
          limit: 150,
          why: missing(A),
          only: 24,
        }),
      ];
    },
  },
  {
    n: 25,
    name: 'sqlite/relist',
    inQuick: false,
    runs: (quick) => [spec('b25', FILE, { case: 'relist', K: quick ? 2000 : 100_000 }, { role: 'library', needs: [], reps: 1, timeoutMs: 600_000 })],
    evaluate(get, quick) {
      const A = get('b25');
      const lib = metric(A, 'libraryRelistMs');
      return [
        row({
          bench: '25 sqlite/relist',
          measure: `open + watch until synced, ${quick ? '2k' : '100k'} resources vs SELECT + JSON.parse of every row`,
          library: lib,
          baseline: metric(A, 'baselineRelistMs'),
          unit: 'ms',
          goal: '≤ 2000 ms (100k)',
          checked: lib,
          limit: 2000,
          why: missing(A),
          only: 25,
        }),
      ];
    },
  },
  {
    n: 26,
    name: 'sqlite/bytes-on-disk',
    inQuick: false,
    runs: () => [spec('b26', FILE, { case: 'relist', K: 20_000 }, { role: 'library', needs: [], reps: 1, timeoutMs: 600_000 })],
    evaluate(get) {
      const A = get('b26');
      const lib = metric(A, 'libraryBytesPerResource');
      const base = metric(A, 'baselineBytesPerResource');
      return [
        row({
          bench: '26 sqlite/bytes-on-disk',
          measure: `file bytes per ${fmt(metric(A, 'docBytes'), 'B')} resource (20k, checkpointed) vs a plain (key, doc) table`,
          library: lib,
          baseline: base,
          unit: 'B',
          goal: 'info',
          checked: ratioOf(lib, base),
          limit: 0,
          info: true,
          why: missing(A),
          only: 26,
        }),
      ];
    },
  },
];
