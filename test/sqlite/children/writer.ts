/**
 * Child process: writes through a SQLite store and prints each acknowledged write, until killed.
 *
 * Usage: node writer.js <path> <first-index> [count]
 * Each round: one create `w<i>` alone, then three creates committed together, then an update of the
 * `counter` resource to the last index. Prints `ack create <i>` / `ack counter <i>` once resolved.
 * With a count, stops after that many rounds and exits.
 */
import { createSqliteStore } from 'rx-reconcile/sqlite';

const [path, first, count] = process.argv.slice(2);
if (path === undefined || first === undefined) throw new Error('usage: writer.js <path> <first-index> [count]');
const store = createSqliteStore({ path });
const pad = 'x'.repeat(1000);
const ack = (line: string) => process.stdout.write(`${line}\n`);
let i = Number(first);
const end = count === undefined ? Number.POSITIVE_INFINITY : i + Number(count) * 4;
ack('ready');
while (i < end) {
  await store.create('Item', { metadata: { name: `w${i}` }, spec: { i, pad } });
  ack(`ack create ${i}`);
  const batch = [i + 1, i + 2, i + 3];
  await Promise.all(batch.map((n) => store.create('Item', { metadata: { name: `w${n}` }, spec: { i: n, pad } }).then(() => ack(`ack create ${n}`))));
  const counter = await store.get('Item', 'counter');
  if (counter === undefined) await store.create('Item', { metadata: { name: 'counter' }, spec: { n: i + 3 } });
  else await store.update({ ...counter, spec: { n: i + 3 } });
  ack(`ack counter ${i + 3}`);
  i += 4;
}
await store.close();
ack('done');
