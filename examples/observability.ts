/**
 * A loop you can see into: pino logs, Prometheus metrics (both naming schemes), live state.
 *
 * Desired state: `Config` resources, each a set of files (`{ files: { name: text } }`). The world: a
 * map of files (a stand-in for a disk or a bucket). The loop is written in the four phases
 * (observe → compare → correct → verify); one file write fails once (transient, retried with backoff)
 * and one config asks for something forbidden (permanent: parked until its spec changes).
 *
 * Run: node --conditions=rx-reconcile-source --no-warnings --loader ts-node/esm examples/observability.ts [rx-reconcile|controller-runtime]
 * Set LOG_LEVEL=debug to see every pass (`Reconciling`, `Correction applied`, `Converged`).
 */
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { SchedulerLike } from 'rxjs';
import client from 'prom-client';
import { Backoff, PermanentError, TransientError, createMemoryStore, defineLoop, setDiff } from 'rx-reconcile';
import { prometheusMetrics } from 'rx-reconcile/prometheus';
import type { Logger, Loop, LoopOptions, MemoryStore, Metrics } from 'rx-reconcile';
import type { MetricNaming } from 'rx-reconcile/prometheus';

/** A value now or later. */
type MaybeAsync<T> = T | Promise<T>;

/** The spec of a `Config`: the files it wants, by name. */
export interface ConfigSpec {
  files: Record<string, string>;
}

/** Options of {@link configLoop}. */
export interface ConfigLoopOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** All time of the loop (default `asyncScheduler`), e.g. a virtual clock. */
  readonly scheduler?: SchedulerLike;
}

/** The configs' world: files by path `<config>/<file>`. A port, so the testing kit can swap it. */
export interface ConfigFiles {
  /** The files of one config, by file name. */
  list(config: string): MaybeAsync<Record<string, string>>;
  write(path: string, text: string): MaybeAsync<void>;
  remove(path: string): MaybeAsync<void>;
}

/** A `Map` of path → text as the configs' world. */
export function mapFiles(world: Map<string, string>): ConfigFiles {
  return {
    list: (config) => {
      const prefix = `${config}/`;
      return Object.fromEntries([...world].filter(([path]) => path.startsWith(prefix)).map(([path, text]) => [path.slice(prefix.length), text]));
    },
    write: (path, text) => void world.set(path, text),
    remove: (path) => void world.delete(path),
  };
}

/**
 * The `configs` loop's options without store and scheduler: what {@link configLoop} passes to
 * `defineLoop`, and what rx-reconcile/testing checks (test/testing/examples.test.ts).
 */
export function configOptions(
  files: ConfigFiles,
  options: ConfigLoopOptions = {},
): Omit<Extract<LoopOptions<ConfigSpec, unknown, Record<string, string>, string>, { observe: unknown }>, 'store' | 'scheduler'> {
  let flaked = false;
  return {
    name: 'configs',
    kind: 'Config',
    workers: 2,
    resync: 10 * 60_000,
    backoff: Backoff.exponential({ initial: 100, factor: 2, steps: 3, cap: 1000 }),
    describe: {
      owners: { en: 'the teams that own a config, through `Config` resources', zh: '拥有配置的团队，通过 `Config` 资源修改' },
      observe: { en: 'lists the files under `<config>/` in the world', zh: '列出外部世界中 `<config>/` 下的文件' },
      compare: { en: '`setDiff(spec.files, current)`: files missing, with other text, or not in the spec', zh: '`setDiff(spec.files, current)`：缺失的、内容不同的或不在 spec 中的文件' },
      corrections: [
        {
          difference: { en: 'a file is missing or has other text', zh: '文件缺失或内容不同' },
          action: { en: 'write it', zh: '写入该文件' },
          guarantee: { en: 'keyed by path and text; writing the same text again changes nothing', zh: '以路径与内容为键；再次写入相同内容不改变任何东西' },
        },
        {
          difference: { en: 'a file is not in the spec', zh: '文件不在 spec 中' },
          action: { en: 'remove it', zh: '删除该文件' },
          guarantee: { en: 'removing a missing file is a no-op', zh: '删除不存在的文件是空操作' },
        },
      ],
      conflicts: { en: 'Each config owns the files under its own prefix; nothing else writes there.', zh: '每个配置只拥有自己前缀下的文件；没有其他写入者。' },
    },
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    observe: (key) => files.list(key),
    compare: (desired, current) => setDiff(desired?.spec.files ?? {}, current),
    correct: (correction, ctx) => {
      const path = `${ctx.key}/${correction.target}`;
      if (correction.action === 'delete') return files.remove(path);
      const text = correction.value ?? '';
      if (text.includes('forbidden')) throw new PermanentError(`${path}: the text may not contain "forbidden"; change the spec`);
      if (correction.target === 'flaky.txt' && !flaked) {
        flaked = true;
        throw new TransientError(`${path}: the disk was busy`);
      }
      return files.write(path, text);
    },
  };
}

/**
 * Builds the `configs` loop over `store`, keeping `world` (file path → text) in line with the
 * `Config` resources. A path is `<config>/<file>`.
 */
export function configLoop(store: MemoryStore, world: Map<string, string>, options: ConfigLoopOptions = {}): Loop {
  const { scheduler, ...rest } = options;
  return defineLoop<ConfigSpec, unknown, Record<string, string>, string>({ ...configOptions(mapFiles(world), rest), store, ...(scheduler ? { scheduler } : {}) });
}

/** Runs the demo and returns the metrics text it printed. */
export async function main(naming: MetricNaming = 'rx-reconcile'): Promise<string> {
  const logger = pino({ level: process.env['LOG_LEVEL'] ?? 'info' });
  const registry = new client.Registry();
  const store = createMemoryStore();
  const world = new Map<string, string>();
  const loop = configLoop(store, world, { logger, metrics: prometheusMetrics({ client, registry, metricNames: naming }) });

  await store.create<ConfigSpec>('Config', { metadata: { name: 'web' }, spec: { files: { 'index.html': '<h1>hi</h1>', 'flaky.txt': 'ok' } } });
  await store.create<ConfigSpec>('Config', { metadata: { name: 'evil' }, spec: { files: { 'x.txt': 'forbidden words' } } });
  await loop.whenIdle();

  const snapshot = loop.snapshot();
  console.log('\nLive state (loop.snapshot()):');
  console.log(`  passes=${snapshot.counters.passes} converged=${snapshot.counters.converged} retry=${snapshot.counters.retry} terminal=${snapshot.counters.terminal}`);
  for (const parked of snapshot.parked) console.log(`  parked ${parked.key} (${parked.reason}): ${parked.lastError ?? ''}`);
  console.log(`  world: ${[...world.keys()].sort().join(', ')}`);

  const text = await registry.metrics();
  console.log(`\nMetrics (${naming}), non-zero samples:`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '' || line.includes('_bucket')) continue;
    if (!line.endsWith(' 0')) console.log(`  ${line}`);
  }
  await loop.stop();
  return text;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const naming = process.argv[2] === 'controller-runtime' ? 'controller-runtime' : 'rx-reconcile';
  main(naming).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
