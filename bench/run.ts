/**
 * The benchmark driver: `npm run bench` (full, ~10–15 min) or `npm run bench -- --quick` (< 1 min).
 *
 * Every configuration runs in a fresh `node --expose-gc` child process and reports one JSON line;
 * repetitions are interleaved (library, baseline, library, …) so that drift hits both alike. Each
 * figure is a ratio against a baseline measured in the same run. The driver writes
 * `bench/results.json`, `BENCHMARKS.md` and `bench/chart.svg` (full runs; `--only` runs merge
 * into the existing results), and exits non-zero when a correctness counter of the library or of
 * the hand-written baseline is non-zero, or when one of their runs crashed. Missed timing goals are
 * reported as `fail` in the table, never as an exit code.
 *
 * Options:
 *   --quick           small sizes of a representative subset; checks the violation counts
 *   --only=1,7,13     only these benchmarks (results merged into bench/results.json)
 *   --reps=N          override the number of repetitions of every run
 *   --no-write        print only
 *   --render          rewrite BENCHMARKS.md and bench/chart.svg from bench/results.json (no runs)
 */
import { spawn } from 'node:child_process';
import { etcdMissing } from '../examples/support/etcd-server.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { FLOOR, SUITE, fmt, sumViolations, violationCount, type Aggregate, type Feature, type Row, type RunSpec } from './suite.js';
import { RESULT_MARKER, type CaseResult, type Violations } from './lib/util.js';
import { renderChart, renderMarkdown, renderTable } from './report.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_FLAGS = ['--expose-gc', '--conditions=rx-reconcile-source', '--no-warnings', '--loader', 'ts-node/esm'];

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const noWrite = args.includes('--no-write');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg === undefined ? undefined : new Set(onlyArg.slice(7).split(',').map(Number));
const repsArg = args.find((a) => a.startsWith('--reps='));
const repsOverride = repsArg === undefined ? undefined : Number(repsArg.slice(7));

/** The exact command line of one child run. */
export function childCommand(run: RunSpec): string {
  return `node ${NODE_FLAGS.join(' ')} ${run.file} --params='${JSON.stringify(run.params)}'`;
}

interface ChildOutcome {
  result?: CaseResult;
  problem?: string;
  ms: number;
}

function runChild(run: RunSpec): Promise<ChildOutcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, run.file, `--params=${JSON.stringify(run.params)}`], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, run.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ms = Date.now() - started;
      const line = out.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (line !== undefined) {
        resolve({ result: JSON.parse(line.slice(RESULT_MARKER.length)) as CaseResult, ms });
      } else if (timedOut) {
        resolve({ problem: `timed out after ${run.timeoutMs / 1000} s (bounded run)`, ms });
      } else {
        const lines = err.trim().split('\n');
        const at = lines.findIndex((l) => l.startsWith('case failed:') || /^\w*Error\b/.test(l));
        const last = lines.slice(Math.max(0, at), Math.max(0, at) + 2).join(' ').slice(0, 300);
        resolve({ problem: `exit ${code}: ${last || 'no result line'}`, ms });
      }
    });
  });
}

/** Which library features exist right now (the library is being written in parallel). */
async function probeFeatures(): Promise<Map<Feature, string | undefined>> {
  const found = new Map<Feature, string | undefined>();
  let root: Record<string, unknown> = {};
  let ops: Record<string, unknown> = {};
  try {
    root = (await import('rx-reconcile')) as Record<string, unknown>;
  } catch (e) {
    void e;
  }
  try {
    ops = (await import('rx-reconcile/operators')) as Record<string, unknown>;
  } catch (e) {
    void e;
  }
  const need = (ok: boolean, what: string): string | undefined => (ok ? undefined : `needs ${what}`);
  found.set('workQueue', need(typeof ops['workQueue'] === 'function' && typeof ops['createQueueControl'] === 'function', "workQueue/createQueueControl in 'rx-reconcile/operators'"));
  found.set('store', need(typeof root['createMemoryStore'] === 'function', "createMemoryStore in 'rx-reconcile'"));
  found.set('loop', need(typeof root['defineLoop'] === 'function', "defineLoop in 'rx-reconcile'"));
  let kernel: Record<string, unknown> = {};
  try {
    kernel = (await import('../src/index.js')) as Record<string, unknown>;
  } catch (e) {
    void e;
  }
  found.set('status', need(typeof kernel['produceStatus'] === 'function' && typeof kernel['statusEquals'] === 'function', 'produceStatus/statusEquals in the kernel (src/index.ts)'));
  found.set('etcd', etcdMissing());
  return found;
}

interface StoredBenchmark {
  readonly n: number;
  readonly name: string;
  readonly measuredAt: string;
  readonly rows: Row[];
  readonly runs: {
    readonly id: string;
    readonly role: string;
    readonly command: string;
    readonly reps: number;
    readonly results: CaseResult[];
    readonly problems: string[];
    readonly skipped: string | undefined;
    readonly violations: Violations;
  }[];
}

export interface ResultsFile {
  readonly mode: 'full' | 'quick';
  readonly generatedAt: string;
  readonly durationS: number;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGB: number;
    readonly node: string;
    readonly floors: Record<string, number> | undefined;
    /** 1-minute load average when the run started and ended (other processes share the cores). */
    readonly load: { readonly start: number; readonly end: number };
  };
  readonly violations: { readonly total: number; readonly crashed: number; readonly details: string[] };
  readonly benchmarks: StoredBenchmark[];
}

async function main(): Promise<void> {
  if (args.includes('--render')) {
    const file = JSON.parse(readFileSync(join(ROOT, 'bench/results.json'), 'utf8')) as ResultsFile;
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(file));
    writeFileSync(join(ROOT, 'bench/chart.svg'), renderChart(file.benchmarks.flatMap((b) => b.rows)));
    process.stdout.write('BENCHMARKS.md and bench/chart.svg rewritten from bench/results.json\n');
    return;
  }
  const t0 = Date.now();
  const loadStart = loadavg()[0] ?? 0;
  const features = await probeFeatures();
  const benches = SUITE.filter((b) => (only === undefined ? !quick || b.inQuick : only.has(b.n)));
  // Benchmark 17 is evaluated from the runs of 16: measure and report them together.
  if (only !== undefined && (only.has(16) || only.has(17))) {
    for (const n of [16, 17]) if (!benches.some((b) => b.n === n)) benches.push(SUITE.find((b) => b.n === n)!);
    benches.sort((x, y) => x.n - y.n);
  }

  const runs = new Map<string, RunSpec>();
  for (const b of benches) for (const r of b.runs(quick)) runs.set(r.id, repsOverride === undefined ? r : { ...r, reps: repsOverride });
  if (!quick && only === undefined) runs.set(FLOOR.id, FLOOR);

  const aggs = new Map<string, Aggregate>();
  for (const r of runs.values()) {
    const missingFeature = r.needs.map((f) => features.get(f)).find((why) => why !== undefined);
    aggs.set(r.id, { spec: r, results: [], problems: [], skipped: missingFeature });
  }
  const total = [...aggs.values()].filter((a) => a.skipped === undefined).reduce((n, a) => n + a.spec.reps, 0);
  let done = 0;
  // Interleave repetitions per benchmark: rep 1 of every run, then rep 2, …
  const order: RunSpec[][] = [];
  for (const b of benches) {
    const bruns = b.runs(quick).map((r) => runs.get(r.id)!);
    const maxReps = Math.max(0, ...bruns.map((r) => r.reps));
    for (let rep = 0; rep < maxReps; rep++) order.push(bruns.filter((r) => r.reps > rep));
  }
  if (runs.has(FLOOR.id)) order.unshift([FLOOR]);
  for (const group of order) {
    for (const r of group) {
      const agg = aggs.get(r.id)!;
      if (agg.skipped !== undefined) continue;
      const outcome = await runChild(r);
      done++;
      if (outcome.result) agg.results.push(outcome.result);
      else agg.problems.push(outcome.problem ?? 'unknown');
      const v = outcome.result ? violationCount(outcome.result.violations) : 0;
      process.stderr.write(
        `[${String(done).padStart(3)}/${total}] ${r.id.padEnd(28)} ${(outcome.ms / 1000).toFixed(1).padStart(6)} s  ${
          outcome.result ? (v > 0 ? `violations ${v}${r.role === 'naive' ? ' (naive: expected)' : ''}` : 'ok') : `PROBLEM ${outcome.problem ?? ''}`
        }\n`,
      );
    }
  }

  // Verdicts.
  const details: string[] = [];
  let violationTotal = 0;
  let crashed = 0;
  for (const agg of aggs.values()) {
    if (agg.spec.role !== 'library' && agg.spec.role !== 'baseline') continue;
    const v = sumViolations(agg);
    const n = violationCount(v);
    if (n > 0) {
      violationTotal += n;
      details.push(`${agg.spec.id}: ${JSON.stringify(v)}${agg.results.flatMap((r) => r.notes ?? []).map((s) => ` — ${s}`).join('')}`);
    }
    if (agg.skipped === undefined && agg.problems.length > 0) {
      crashed += agg.problems.length;
      details.push(`${agg.spec.id}: ${agg.problems.join('; ')}`);
    }
  }

  const get = (id: string): Aggregate | undefined => aggs.get(id);
  const measuredAt = new Date().toISOString();
  const stored: StoredBenchmark[] = benches.map((b) => ({
    n: b.n,
    name: b.name,
    measuredAt,
    rows: b.evaluate(get, quick),
    runs: b.runs(quick).map((r) => {
      const agg = aggs.get(r.id)!;
      return {
        id: r.id,
        role: r.role,
        command: childCommand(r),
        reps: agg.spec.reps,
        results: agg.results,
        problems: agg.problems,
        skipped: agg.skipped,
        violations: sumViolations(agg),
      };
    }),
  }));

  const floorAgg = aggs.get(FLOOR.id);
  const floors =
    floorAgg && floorAgg.results[0]
      ? Object.fromEntries(Object.entries(floorAgg.results[0].metrics).filter((e): e is [string, number] => typeof e[1] === 'number'))
      : undefined;
  const resultsPath = join(ROOT, quick ? 'bench/results.quick.json' : 'bench/results.json');
  let benchmarks = stored;
  let previous: ResultsFile | undefined;
  if (!quick && only !== undefined && existsSync(resultsPath)) {
    previous = JSON.parse(readFileSync(resultsPath, 'utf8')) as ResultsFile;
    const replaced = new Set(stored.map((b) => b.n));
    benchmarks = [...previous.benchmarks.filter((b) => !replaced.has(b.n)), ...stored].sort((a, b) => a.n - b.n);
  }
  const file: ResultsFile = {
    mode: quick ? 'quick' : 'full',
    generatedAt: measuredAt,
    durationS: Math.round((Date.now() - t0) / 1000),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      floors: floors ?? previous?.machine.floors,
      load: { start: Math.round(loadStart * 100) / 100, end: Math.round((loadavg()[0] ?? 0) * 100) / 100 },
    },
    violations: { total: violationTotal, crashed, details },
    benchmarks,
  };
  const rows = benchmarks.flatMap((b) => b.rows);
  process.stdout.write(`\n${renderTable(rows.filter((r) => r.table === 'goals'), quick)}\n`);
  if (!noWrite) {
    writeFileSync(resultsPath, JSON.stringify(file, null, 1) + '\n');
    if (!quick) {
      writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(file));
      writeFileSync(join(ROOT, 'bench/chart.svg'), renderChart(rows));
    }
  }
  const summary = (['pass', 'fail', 'not measured'] as const).map((s) => `${rows.filter((r) => r.status === s).length} ${s}`).join(', ');
  process.stdout.write(
    `\n${summary}. Correctness: ${violationTotal} violation(s), ${crashed} crashed run(s) of the library or the hand-written baseline. ${fmt(
      (Date.now() - t0) / 1000,
    )} s.\n`,
  );
  for (const d of details) process.stdout.write(`  ${d}\n`);
  if (violationTotal > 0 || crashed > 0) process.exitCode = 1;
}

void main();
