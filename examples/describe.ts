/**
 * Prints the design document of the example loops (`npm run describe`), in the shape of the
 * reconcile-loop design template: computed from the loop definitions (`todo` of examples/todo.ts,
 * `configs` of examples/observability.ts), what their passes used, and figures measured while they ran
 * a short scenario in virtual time — so the output is the same on every run.
 *
 * The scenario: three todos are created, one is marked done, one deleted; two configs are created, one
 * whose file write fails once (retried after its 100 ms backoff) and one asking for something
 * forbidden (a permanent failure: parked until its spec changes).
 *
 * Run: npm run describe [-- --zh] [-- --checks] [-- --html]
 *      --zh      headings and phrases in Chinese (the template's language)
 *      --checks  also run the testing kit's checks of the todo loop (seeded) for the idempotency test table
 *      --html    print the same document as an HTML fragment
 */
import { pathToFileURL } from 'node:url';
import client from 'prom-client';
import { createMemoryStore, describeLoops, describeLoopsHtml, watchLoops } from 'rx-reconcile';
import { prometheusMetrics } from 'rx-reconcile/prometheus';
import type { ConfigSpec } from './observability.js';
import { SimulationScheduler } from 'rx-reconcile/testing';
import { configLoop } from './observability.js';
import { TodoSpec, todoLoop } from './todo.js';
import type { TodoFiles, TodoStatus } from './todo.js';

/** The options of `describeLoops`, and the parts of them this example names. */
type DescribeLoopsOptions = NonNullable<Parameters<typeof describeLoops>[1]>;
type IdempotencyCheck = NonNullable<DescribeLoopsOptions['checks']>[number];
type Language = NonNullable<DescribeLoopsOptions['language']>;

/** Options of {@link describeExamples}. */
export interface DescribeExamplesOptions {
  readonly language?: Language;
  /** Run the testing kit's checks of the todo loop (seeded, 20 cases each) for the idempotency test table. */
  readonly checks?: boolean;
  readonly format?: 'markdown' | 'html';
}

/** Files in a `Map`: the todo loop's world for a run in virtual time. */
function memoryFiles(files: Map<string, string>): TodoFiles {
  return {
    read: async (name) => files.get(name),
    write: async (name, text) => void files.set(name, text),
    remove: async (name) => void files.delete(name),
  };
}

/** Runs the example loops through the scenario in virtual time, describes them, and stops them. */
export async function describeExamples(options: DescribeExamplesOptions = {}): Promise<string> {
  const scheduler = new SimulationScheduler();
  const step = (ms = 1000) => scheduler.runUntil(scheduler.now() + ms);
  const todoStore = createMemoryStore({ scheduler, kinds: { Todo: { schema: TodoSpec } } });
  const configStore = createMemoryStore({ scheduler });
  const todo = todoLoop(todoStore, 'memory', { scheduler, files: memoryFiles(new Map()) });
  const configs = configLoop(configStore, new Map(), { scheduler, metrics: prometheusMetrics({ client, registry: new client.Registry() }) });
  const loops = [todo, configs];
  const watch = watchLoops(loops);
  try {
    await step();
    for (const title of ['buy milk', 'write docs', 'ship it']) {
      await todoStore.create<TodoSpec, TodoStatus>('Todo', { metadata: { name: title.replace(/ /g, '-') }, spec: { title, done: false } });
    }
    await step();
    const milk = await todoStore.get<TodoSpec, TodoStatus>('Todo', 'buy-milk');
    if (milk !== undefined) await todoStore.update({ ...milk, spec: { ...milk.spec, done: true } });
    await step();
    await todoStore.delete('Todo', 'write-docs');
    await configStore.create<ConfigSpec>('Config', { metadata: { name: 'web' }, spec: { files: { 'index.html': '<h1>hi</h1>', 'flaky.txt': 'ok' } } });
    await configStore.create<ConfigSpec>('Config', { metadata: { name: 'evil' }, spec: { files: { 'x.txt': 'forbidden words' } } });
    await step(5000);

    const describeOptions: DescribeLoopsOptions = {
      title: options.language === 'zh' ? '示例的闭环设计 (Reconcile Loops)' : 'Reconcile loops of the examples',
      language: options.language ?? 'en',
      live: watch,
      ...(options.checks === true ? { checks: await todoChecks() } : {}),
    };
    return options.format === 'html' ? describeLoopsHtml(loops, describeOptions) : describeLoops(loops, describeOptions);
  } finally {
    watch.stop();
    const stopped = Promise.all(loops.map((loop) => loop.stop()));
    await step();
    await stopped;
  }
}

/** The testing kit's checks of the todo loop, seeded, as the idempotency test table reads them. */
async function todoChecks(): Promise<IdempotencyCheck[]> {
  const { checkConvergence, checkIdempotent } = await import('rx-reconcile/testing');
  const { todoCurrent, todoDefinition, todoDesired } = await import('./todo-world.js');
  const definition = todoDefinition();
  const inputs = { desired: todoDesired, current: todoCurrent, numRuns: 20, seed: 7 };
  const run = async (check: IdempotencyCheck['check'], go: () => Promise<IdempotencyCheck['report']>): Promise<IdempotencyCheck> => {
    try {
      const report = await go();
      return report === undefined ? { loop: 'todo', check } : { loop: 'todo', check, report };
    } catch (error) {
      return { loop: 'todo', check, failure: error instanceof Error ? error.message : String(error) };
    }
  };
  return [
    await run('idempotence', () => checkIdempotent(definition, inputs)),
    await run('convergence', () => checkConvergence(definition, inputs)),
  ];
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  describeExamples({ language: args.includes('--zh') ? 'zh' : 'en', checks: args.includes('--checks'), format: args.includes('--html') ? 'html' : 'markdown' }).then(
    (text) => process.stdout.write(text),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
