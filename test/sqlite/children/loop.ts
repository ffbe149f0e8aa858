/**
 * Child process: runs the Todo loop of examples/todo.ts on a SQLite store, printing each pass.
 *
 * Usage: node loop.js <db> <folder> <forever|until-idle>
 * `until-idle` stops the loop once idle, closes the store and prints `idle`; `forever` runs until killed.
 */
import { createSqliteStore } from 'rx-reconcile/sqlite';
import { TodoSpec, todoLoop } from '../../../examples/todo.js';

const [path, folder, mode] = process.argv.slice(2);
if (path === undefined || folder === undefined) throw new Error('usage: loop.js <db> <folder> <forever|until-idle>');
const store = createSqliteStore({ path, kinds: { Todo: { schema: TodoSpec } }, pollInterval: 10 });
const loop = todoLoop(store, folder);
loop.results$.subscribe((r) => process.stdout.write(`pass ${r.key} ${r.outcome.type}\n`));
process.stdout.write('ready\n');
if (mode === 'until-idle') {
  await loop.whenIdle();
  await loop.stop();
  await store.close();
  process.stdout.write('idle\n');
}
