/**
 * Prints the Markdown description of the example loops (`npm run describe`): the inventory table and,
 * per loop, its triggers, desired-state source, compare and corrections, backoff and dead-letter
 * policy, failure classes, metrics and log lines — computed from the loop definitions.
 *
 * Run: node --conditions=rx-reconcile-source --no-warnings --loader ts-node/esm examples/describe.ts
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import client from 'prom-client';
import { createMemoryStore, describeLoops, prometheusMetrics } from 'rx-reconcile';
import { configLoop } from './observability.js';
import { todoLoop } from './todo.js';

/** Defines the example loops over empty stores, describes them, and stops them. */
export async function describeExamples(): Promise<string> {
  const todo = todoLoop(createMemoryStore(), join(tmpdir(), 'rx-reconcile-describe'));
  const configs = configLoop(createMemoryStore(), new Map(), { metrics: prometheusMetrics({ client, registry: new client.Registry() }) });
  const loops = [todo, configs];
  try {
    return describeLoops(loops, { title: 'Reconcile loops of the examples' });
  } finally {
    await Promise.all(loops.map((loop) => loop.stop()));
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  describeExamples().then(
    (markdown) => process.stdout.write(markdown),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
