/**
 * The Todo example (examples/todo.ts) as the testing kit sees it.
 *
 * The Todo loop acts on a folder of Markdown files through its `TodoFiles` port. For the checkers,
 * that folder is a `World<string>`: items are file names, values are file texts. `worldFiles` maps
 * the port onto any world — `write(name, text)` is an `update` (the world creates missing files, as
 * `writeFile` does) and `remove(name)` a `delete` (a missing file is fine, as with `rm -f`). So the
 * very options `todoLoop` runs in production run here on an in-memory world with faults, or on a
 * real temporary folder (`folderWorld`).
 *
 * Run: node --conditions=rx-reconcile-source --loader ts-node/esm examples/todo-world.ts
 * (checks the Todo loop and prints the reports; the test suite runs the same checks)
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import type { Correction, Resource } from 'rx-reconcile';
import { checkConvergence, checkIdempotent, loopDefinition, memoryWorld } from 'rx-reconcile/testing';
import type { DesiredResource, LoopDefinition, World } from 'rx-reconcile/testing';
import { FINALIZER, TodoSpec, fileOf, isTodoFile, todoOptions, todoText, writeFileAtomic } from './todo.js';
import type { TodoFiles, TodoStatus } from './todo.js';

/** The Todo's file port over a world of files (name → text). */
export function worldFiles(world: World<string>): TodoFiles {
  return {
    read: (name) => world.get(name),
    write: (name, text) => world.apply({ action: 'update', target: name, value: text, idempotencyKey: `update ${name} ${text}` }),
    remove: (name) => world.apply({ action: 'delete', target: name, idempotencyKey: `delete ${name}` }),
  };
}

/** A folder of files as a world, for checks on real files (one fresh folder per run). */
export function folderWorld(folder: string, initial: Readonly<Record<string, string>> = {}): World<string> {
  mkdirSync(folder, { recursive: true });
  for (const [name, text] of Object.entries(initial)) writeFileSync(join(folder, name), text);
  const read = async (): Promise<Readonly<Record<string, string>>> => {
    const names = (await readdir(folder)).filter(isTodoFile).sort();
    return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(join(folder, name), 'utf8')] as const)));
  };
  return {
    read,
    get: (name) => readFile(join(folder, name), 'utf8').catch(() => undefined),
    apply: async (c: Correction<string>) => {
      if (c.action === 'delete') await rm(join(folder, c.target), { force: true });
      else await writeFileAtomic(join(folder, c.target), c.value ?? '');
    },
    snapshot: () => Object.fromEntries(readdirSync(folder).filter(isTodoFile).sort().map((name) => [name, readFileSync(join(folder, name), 'utf8')])),
  };
}

/** Removes a folder made by {@link folderWorld}. */
export function removeFolder(folder: string): void {
  rmSync(folder, { recursive: true, force: true });
}

const live = (todo: Resource<TodoSpec, TodoStatus>) => todo.metadata.deletionTimestamp === undefined;

/**
 * The Todo loop as a loop definition: the production options (`todoOptions`) on the run's world,
 * the files the todos call for, and when a todo is done on the store side.
 */
export function todoDefinition(world: (initial: Readonly<Record<string, string>>) => World<string> = (initial) =>
  memoryWorld(initial, { onUpdateMissing: 'create', onDeleteMissing: 'ignore' })): LoopDefinition<TodoSpec, TodoStatus, string> {
  return loopDefinition<TodoSpec, TodoStatus, string>({
    loop: (env) => todoOptions(worldFiles(env.world)),
    world,
    kinds: { Todo: { schema: TodoSpec } },
    expected: (todos) => Object.fromEntries(todos.filter(live).map((todo) => [fileOf(todo), todoText(todo.spec)])),
    ready: (todo) => {
      if (!live(todo)) return 'still being deleted';
      if (!todo.metadata.finalizers.includes(FINALIZER)) return 'no finalizer';
      const phase = todo.spec.done ? 'Done' : 'Pending';
      if (todo.status?.phase !== phase) return `phase is ${String(todo.status?.phase)}, expected ${phase}`;
      if (todo.status.observedGeneration !== todo.metadata.generation) return 'status is behind the spec';
      return true;
    },
  });
}

const NAMES = ['buy-milk', 'write-docs', 'ship-it'] as const;

/**
 * Todos to start from: every name has a todo — new, already holding the finalizer (with a stale
 * status, maybe), or being deleted — so every file in the world belongs to some todo.
 */
export const todoDesired = fc
  .tuple(
    ...NAMES.map((name) =>
      fc.record({
        title: fc.string({ minLength: 1, maxLength: 6 }),
        done: fc.boolean(),
        state: fc.constantFrom('new', 'adopted', 'deleting'),
        status: fc.option(fc.record({ phase: fc.constantFrom('Pending', 'Done') as fc.Arbitrary<'Pending' | 'Done'>, observedGeneration: fc.nat(2) }), { nil: undefined }),
      }).map((t) => ({ name, ...t })),
    ),
  )
  .map((todos): DesiredResource<TodoSpec, TodoStatus>[] =>
    todos.map((t) => ({
      metadata: { name: t.name, ...(t.state === 'new' ? {} : { finalizers: [FINALIZER] }) },
      spec: { title: t.title, done: t.done },
      ...(t.status !== undefined ? { status: t.status } : {}),
      ...(t.state === 'deleting' ? { deleted: true } : {}),
    })),
  );

/** Files to start from: missing, stale or foreign text for some todos. */
export const todoCurrent = fc.dictionary(
  fc.constantFrom(...NAMES.map((name) => `${name}.md`)),
  fc.constantFrom('', '# old title\n', '# buy-milk\n\n- [ ] buy-milk\n'),
  { maxKeys: 3 },
);

/** Checks the Todo loop (idempotence, then convergence under the default faults) and prints the reports. */
export async function main(): Promise<void> {
  const todo = todoDefinition();
  const idem = await checkIdempotent(todo, { desired: todoDesired, current: todoCurrent, numRuns: 50 });
  console.log(`todo is idempotent: ${idem.numRuns} runs, ${idem.passes} passes, ${idem.writes} writes in first runs (seed ${idem.seed})`);
  const conv = await checkConvergence(todo, { desired: todoDesired, current: todoCurrent, numRuns: 50 });
  console.log(`todo converges under faults: ${conv.numRuns} runs, ${conv.faults} faults injected, slowest ${conv.slowestConvergence} ms (seed ${conv.seed})`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
