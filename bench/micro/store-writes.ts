/**
 * What the memory store's writes cost (behind BENCHMARKS.md #18 and #31), in one process: K creates,
 * then a status write on each, then a second status write with three conditions (what a loop's
 * conditions write looks like), then a label change on each; CPU per operation, median of the rounds
 * (a fresh store each round). Each operation includes the `get` of the resource it changes.
 *
 *   npm run bench:micro -- --store            # K = 20k, 7 rounds
 *   npm run bench:micro -- --store --quick
 */
import { createMemoryStore } from 'rx-reconcile';
import { median } from '../lib/util.js';

export async function storeWriteCost(quick: boolean): Promise<void> {
  const K = quick ? 1_000 : 20_000;
  const ROUNDS = quick ? 2 : 7;
  const cpu = (): number => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const times = { create: [] as number[], status: [] as number[], conditions: [] as number[], label: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    const store = createMemoryStore();
    let t = cpu();
    for (let i = 0; i < K; i++) await store.create('Item', { metadata: { name: `item-${i}` }, spec: { title: `item ${i}`, n: i } });
    times.create.push((cpu() - t) / K);
    t = cpu();
    for (let i = 0; i < K; i++) {
      const item = (await store.get('Item', `item-${i}`))!;
      await store.updateStatus({ ...item, status: { phase: 'Ready' } });
    }
    times.status.push((cpu() - t) / K);
    t = cpu();
    const at = new Date(0).toISOString();
    for (let i = 0; i < K; i++) {
      const item = (await store.get('Item', `item-${i}`))!;
      const condition = (type: string, status: string, reason: string) => ({ type, status, reason, message: '', observedGeneration: 1, lastTransitionTime: at });
      const conditions = [condition('Ready', 'True', 'Converged'), condition('Progressing', 'False', 'Converged'), condition('Degraded', 'False', 'AsExpected')];
      await store.updateStatus({ ...item, status: { phase: 'Ready', observedGeneration: 1, conditions } });
    }
    times.conditions.push((cpu() - t) / K);
    t = cpu();
    for (let i = 0; i < K; i++) {
      const item = (await store.get('Item', `item-${i}`))!;
      await store.update({ ...item, metadata: { ...item.metadata, labels: { round: String(r) } } });
    }
    times.label.push((cpu() - t) / K);
  }
  const f = (us: number[]): string => `${median(us).toFixed(2)} µs`;
  process.stdout.write(`memory store, ${K} resources, CPU per operation (with its get), median of ${ROUNDS} rounds, Node ${process.version}\n`);
  process.stdout.write(`create:                              ${f(times.create)}\n`);
  process.stdout.write(`status write (one field):            ${f(times.status)}\n`);
  process.stdout.write(`status write (three conditions):     ${f(times.conditions)}\n`);
  process.stdout.write(`label change (update):               ${f(times.label)}\n`);
}
