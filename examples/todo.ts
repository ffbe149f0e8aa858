/**
 * The Halo Todo, as an rx-reconcile loop over a durable SQLite store (or the memory store).
 *
 * Desired state: `Todo` resources (`{ title, done }`). The world: one Markdown file per todo in a
 * folder. The loop keeps the folder in line with the store: it adds a finalizer, writes the file,
 * sets `status.phase`, and when a todo is deleted it removes the file (cleanup) before removing the
 * finalizer, so the todo disappears only after its file is gone.
 *
 * The todos live in `<folder>/todos.db` (SQLite): a second run finds what the first left and the
 * loop resumes from it (files removed meanwhile come back, deletions finish). `--memory` keeps them
 * in memory instead: every run starts empty.
 *
 * `--admin` keeps the loop running afterwards and serves its admin page (rx-reconcile/admin) on
 * 127.0.0.1, printing its URL (with a fresh token in the fragment, so the page's buttons work) until
 * Ctrl-C; `--port=N` picks the port (default: a free one).
 *
 * Run: npm run demo [-- --memory] [-- --admin [--port=N]] [-- <folder>]
 *      (or: node --conditions=rx-reconcile-source --loader ts-node/esm examples/todo.ts [--memory] [--admin] [folder])
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import { createSqliteStore } from 'rx-reconcile/sqlite';
import type { LoopOptions, PassResult, Resource, Store } from 'rx-reconcile';

export const TodoSpec = z.object({ title: z.string().min(1), done: z.boolean().default(false) });
export type TodoSpec = z.infer<typeof TodoSpec>;
export interface TodoStatus {
  phase?: 'Pending' | 'Done' | 'Deleting';
  observedGeneration?: number;
}
export const FINALIZER = 'todo.example.com/file';

/** The Todo's world: one Markdown file per todo. A port, so the testing kit can swap the disk for memory. */
export interface TodoFiles {
  /** The text of a file, or `undefined` when it does not exist. */
  read(name: string): Promise<string | undefined>;
  /** Creates or overwrites a file. */
  write(name: string, text: string): Promise<void>;
  /** Removes a file; a missing file is fine. */
  remove(name: string): Promise<void>;
}

/** The files of `folder` on disk. */
export function folderFiles(folder: string): TodoFiles {
  return {
    read: (name) => readFile(join(folder, name), 'utf8').catch(() => undefined),
    write: (name, text) => writeFileAtomic(join(folder, name), text),
    remove: (name) => rm(join(folder, name), { force: true }),
  };
}

let tmpSeq = 0;

/**
 * Writes a file so that a reader sees the old text or the new one, never a half-written file: the
 * text goes to a hidden temporary file in the same folder, which is then renamed over the target.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const slash = path.lastIndexOf('/');
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${process.pid}.${++tmpSeq}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** True for a todo's file (not a temporary file of {@link writeFileAtomic}). */
export function isTodoFile(name: string): boolean {
  return name.endsWith('.md') && !name.startsWith('.');
}

/** The file of a todo. */
export function fileOf(todo: Resource<TodoSpec, TodoStatus>): string {
  return `${todo.metadata.name}.md`;
}

/** The text of a todo's file. */
export function todoText(spec: TodoSpec): string {
  return `# ${spec.title}\n\n- [${spec.done ? 'x' : ' '}] ${spec.title}\n`;
}

/**
 * The Todo loop's options without store and scheduler: what {@link todoLoop} passes to `defineLoop`,
 * and what `rx-reconcile/testing` checks (see examples/todo-world.ts).
 */
export function todoOptions(files: TodoFiles): Omit<Extract<LoopOptions<TodoSpec, TodoStatus>, { reconcile: unknown }>, 'store' | 'scheduler'> {
  return {
    name: 'todo',
    kind: 'Todo',
    // The store refuses bad specs on write; the loop checks what it reads too (and describeLoops
    // generates the desired-state example from it).
    schema: TodoSpec,
    workers: 2,
    // Level-triggered safety net: a lost watch event is repaired within a minute.
    resync: 60_000,
    // What `describeLoops` cannot read from the code (`npm run describe`).
    describe: {
      owners: {
        en: 'whoever writes `Todo` resources: the demo script, the admin of the SQLite file',
        zh: '写入 `Todo` 资源的人或程序：演示脚本、SQLite 文件的管理者',
      },
      observe: { en: "reads the todo's Markdown file `<name>.md` in the folder", zh: '读取目录中该 todo 的 Markdown 文件 `<name>.md`' },
      compare: {
        en: 'the file\'s text against the text the spec renders to (`todoText`); `status.phase` against `spec.done`',
        zh: '文件内容与 spec 渲染出的文本（`todoText`）比较；`status.phase` 与 `spec.done` 比较',
      },
      corrections: [
        {
          difference: { en: 'a live todo has no file, or a file with other text', zh: '存活的 todo 没有文件，或文件内容不同' },
          action: { en: 'write the file (a temporary file renamed over it)', zh: '写入文件（先写临时文件再重命名覆盖）' },
          guarantee: { en: 'the file is named after the todo and written only when its text differs', zh: '文件以 todo 命名，仅在内容不同时写入' },
        },
        {
          difference: { en: 'a todo is being deleted', zh: 'todo 正在被删除' },
          action: { en: 'remove its file, then the finalizer', zh: '删除其文件，然后移除 finalizer' },
          guarantee: { en: 'removing a missing file is fine (like `rm -f`)', zh: '删除不存在的文件不会出错（同 `rm -f`）' },
        },
      ],
      conflicts: {
        en: 'Only this loop writes the folder; its status and finalizer writes are compare-and-set, so a concurrent edit of a todo wins and is reconciled next.',
        zh: '只有这个闭环写该目录；它对状态与 finalizer 的写入是比较并交换的，因此并发修改的 todo 会胜出，并在下一次协调中处理。',
      },
    },
    async reconcile(_request, ctx) {
      const todo = await ctx.get();
      if (todo === undefined) return Outcome.converged(); // gone: nothing left to do
      const file = fileOf(todo);

      if (todo.metadata.deletionTimestamp !== undefined) {
        // Being deleted: clean up the world first, then let the store finish the delete
        // (Halo's Finalizers.removeFinalizer).
        await files.remove(file);
        await ctx.removeFinalizer(todo, FINALIZER);
        return Outcome.converged();
      }

      // Finalizer first, so a delete can never skip the cleanup. A no-op once it is there; the write
      // does not come back as a trigger (one pass per change), so the pass goes on with the result.
      const live = await ctx.addFinalizer(todo, FINALIZER);

      const text = todoText(live.spec);
      const existing = await files.read(file);
      if (existing !== text) await files.write(file, text);
      await ctx.updateStatus(live, (status) => {
        status.phase = live.spec.done ? 'Done' : 'Pending';
      });
      return Outcome.converged();
    },
  };
}

/**
 * Builds the Todo loop over `store`, keeping one file per todo in `folder` (or in `options.files`,
 * e.g. files in memory for a run in virtual time).
 */
export function todoLoop(store: Store, folder: string, options: { readonly scheduler?: SchedulerLike; readonly files?: TodoFiles } = {}) {
  return defineLoop<TodoSpec, TodoStatus>({
    ...todoOptions(options.files ?? folderFiles(folder)),
    store,
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
  });
}

function describe(result: PassResult): string {
  const o = result.outcome;
  const detail = o.type === 'retry' || o.type === 'terminal' ? ` (${o.error.message})` : '';
  return `  pass ${result.key.padEnd(10)} ${result.request.reason.padEnd(8)} → ${o.type}${detail}`;
}

/** Options of {@link main}. */
export interface DemoOptions {
  /** Where the Markdown files (and, on a file, the store `todos.db`) go. */
  readonly folder?: string;
  /** Keep the todos in memory (every run starts empty) instead of in `<folder>/todos.db`. */
  readonly memory?: boolean;
  /**
   * After the demo, serve the loop's admin page on 127.0.0.1 (`port`, default a free one) and keep
   * running until `until` resolves (default: SIGINT or SIGTERM).
   */
  readonly admin?: { readonly port?: number; readonly until?: Promise<unknown> };
}

/**
 * Runs the demo. On a fresh store: creates, changes and deletes todos, and prints what converges. On
 * a store an earlier run left (file mode): shows that state and lets the loop converge on it.
 */
export async function main(options: DemoOptions = {}): Promise<{ files: string[]; resumed: boolean }> {
  const memory = options.memory === true;
  const folder = options.folder ?? join(tmpdir(), memory ? `rx-reconcile-todo-${process.pid}` : 'rx-reconcile-todo');
  if (memory) await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const kinds = { Todo: { schema: TodoSpec } };
  const path = join(folder, 'todos.db');
  const store = memory ? createMemoryStore({ kinds }) : createSqliteStore({ path, kinds });
  console.log(memory ? 'Todos in memory (gone when the process ends)' : `Todos in ${path} (SQLite: run again to resume; inspect with sqlite3 ${path} "SELECT * FROM desired")`);
  console.log(`Todo files in ${folder}`);
  const earlier = await store.list<TodoSpec, TodoStatus>('Todo');
  const loop = todoLoop(store, folder);
  loop.results$.subscribe((r) => console.log(describe(r)));
  try {
    const result = await steps(store, loop, folder, earlier.length);
    if (options.admin !== undefined) await serveUntil(loop, options.admin);
    return result;
  } finally {
    await loop.stop();
    if ('close' in store) await store.close();
  }
}

/** Serves the admin page of `loop` until `until` resolves (default: SIGINT or SIGTERM). */
async function serveUntil(loop: ReturnType<typeof todoLoop>, options: NonNullable<DemoOptions['admin']>): Promise<void> {
  // Loaded only with --admin: the demo itself does not need the admin entry.
  const { serveAdmin } = await import('rx-reconcile/admin');
  const token = randomBytes(18).toString('base64url');
  const admin = await serveAdmin({ loops: [loop], token, ...(options.port === undefined ? {} : { port: options.port }) });
  console.log(`Admin page: ${admin.url}#token=${token}`);
  console.log(`  (API: curl ${admin.url}api/loops; actions need: -H "Authorization: Bearer ${token}")`);
  console.log('  Ctrl-C stops the loop and the admin.');
  const until =
    options.until ??
    new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
  await until;
  await admin.close();
  console.log('admin closed');
}

async function steps(store: Store, loop: ReturnType<typeof todoLoop>, folder: string, earlier: number): Promise<{ files: string[]; resumed: boolean }> {
  {
    if (earlier > 0) {
      console.log(`found ${earlier} todo(s) left by an earlier run: the loop resumes from them`);
      await loop.whenIdle();
      const files = await show(store, folder);
      console.log('converged: every todo has its file, the deleted one has none');
      return { files, resumed: true };
    }
    console.log('1. create three todos');
    for (const title of ['buy milk', 'write docs', 'ship it']) {
      await store.create<TodoSpec, TodoStatus>('Todo', { metadata: { name: title.replace(/ /g, '-') }, spec: { title, done: false } });
    }
    await loop.whenIdle();
    await show(store, folder);

    console.log('2. mark "buy-milk" done');
    const milk = await store.get<TodoSpec, TodoStatus>('Todo', 'buy-milk');
    if (milk) await store.update({ ...milk, spec: { ...milk.spec, done: true } });
    await loop.whenIdle();
    await show(store, folder);

    console.log('3. a bad spec is refused and nothing is stored');
    try {
      await store.create('Todo', { metadata: { name: 'bad' }, spec: { title: 42 } });
    } catch (error) {
      console.log(`  refused: ${(error as Error).message}`);
    }

    console.log('4. delete "write-docs": cleanup runs, then the todo is gone');
    await store.delete('Todo', 'write-docs');
    await loop.whenIdle();
    const files = await show(store, folder);
    console.log('converged: every todo has its file, the deleted one has none');
    return { files, resumed: false };
  }
}

async function show(store: Store, folder: string): Promise<string[]> {
  const todos = await store.list<TodoSpec, TodoStatus>('Todo');
  for (const t of todos) {
    console.log(`  todo ${t.metadata.name.padEnd(10)} phase=${t.status?.phase ?? '-'} gen=${t.metadata.generation} observed=${t.status?.observedGeneration ?? '-'}`);
  }
  const files = (await readdir(folder)).filter(isTodoFile).sort();
  console.log(`  files: ${files.join(', ') || '(none)'}`);
  return files;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const folder = args.find((a) => !a.startsWith('--'));
  const port = args.find((a) => a.startsWith('--port='));
  main({
    memory: args.includes('--memory'),
    ...(folder === undefined ? {} : { folder }),
    ...(args.includes('--admin') ? { admin: port === undefined ? {} : { port: Number(port.slice(7)) } } : {}),
  }).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
