/**
 * Failures, as a user sees them: a dependency that is not ready yet, a key that keeps failing until
 * it is quarantined, and a person stepping in to release it.
 *
 * Desired state: `App` resources. `shop` needs the `Database` "db", which is not ready at first: the
 * loop waits for it (no failure counted) and reconciles `shop` as soon as the database turns ready.
 * `mailer` needs an SMTP server that is down: it is retried with backoff (20 ms, then 40 ms) and
 * quarantined after those two retries; fixing the server is not enough — its retries are over —
 * until someone calls `loop.release('mailer')`. Status conditions on each App tell the story.
 *
 * Run: node --conditions=rx-reconcile-source --no-warnings --loader ts-node/esm examples/failures.ts
 */
import { pathToFileURL } from 'node:url';
import { filter, firstValueFrom } from 'rxjs';
import { Backoff, DependencyNotReadyError, TransientError, createMemoryStore, defineLoop, keyOf } from 'rx-reconcile';
import type { Condition, Logger, Loop, MemoryStore, ReconcileStatus } from 'rx-reconcile';

/** The fields of a log line, as the `Logger` port takes them. */
type LogFields = Parameters<Logger['info']>[0];
/** A parked key, as `loop.snapshot()` lists it. */
type ParkedKey = ReturnType<Loop['snapshot']>['parked'][number];

export interface AppSpec {
  /** The database this app needs, if any. */
  readonly database?: string;
  /** The SMTP host this app sends mail through, if any. */
  readonly smtp?: string;
}
export interface DatabaseStatus {
  readonly ready?: boolean;
}

/** What the demo saw, for tests. */
export interface FailuresDemo {
  /** `Ready` of each app at the end. */
  readonly ready: Readonly<Record<string, string>>;
  /** The quarantined key as `loop.snapshot()` showed it. */
  readonly quarantined: ParkedKey | undefined;
  /** The reasons `shop`'s Ready condition went through. */
  readonly shopReasons: readonly string[];
  /** Whether release found the key parked. */
  readonly released: boolean;
}

/** A pino-like console logger that prints warnings and errors (and `info`), one line each. */
function consoleLogger(print: (line: string) => void, bindings: LogFields = {}): Logger {
  const line = (level: string) => (fields: LogFields, message: string) => {
    const all = { ...bindings, ...fields };
    const text = Object.entries(all)
      .filter(([k, v]) => v !== undefined && k !== 'loop' && k !== 'reconcileId')
      .map(([k, v]) => `${k}=${typeof v === 'string' && v.includes(' ') ? JSON.stringify(v) : String(v)}`)
      .join(' ');
    print(`    [${level}] ${message} ${text}`);
  };
  return {
    debug: () => undefined,
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
    child: (more) => consoleLogger(print, { ...bindings, ...more }),
  };
}

/**
 * The `apps` loop: an App is deployed once its database is ready and its SMTP server answers.
 * `usersOf(database)` lists the apps that use a database (so its changes trigger them).
 */
export function appsLoop(
  store: MemoryStore,
  world: { readonly smtp: { up: boolean }; readonly deployed: Set<string>; usersOf(database: string): string[] },
  logger: Logger,
): Loop {
  const { smtp, deployed } = world;
  return defineLoop<AppSpec, ReconcileStatus>({
    name: 'apps',
    store,
    kind: 'App',
    logger,
    // Short delays so the demo runs in well under a second: 20 ms, 40 ms, then quarantine.
    backoff: Backoff.exponential({ initial: 20, factor: 2, steps: 2 }),
    dependencyInterval: 1000,
    // A Database change triggers the apps that use it (ends their wait at once).
    dependencies: [
      {
        kind: 'Database',
        map: (event) => world.usersOf(event.object.metadata.name),
      },
    ],
    async reconcile(_request, ctx) {
      const app = await ctx.get();
      if (app === undefined) return;
      if (app.spec.database !== undefined) {
        const db = await store.get<unknown, DatabaseStatus>('Database', app.spec.database);
        if (db?.status?.ready !== true) throw new DependencyNotReadyError(`Database/${app.spec.database}`);
      }
      if (app.spec.smtp !== undefined && !smtp.up) {
        throw new TransientError(`SMTP server ${app.spec.smtp} refused the connection`);
      }
      deployed.add(ctx.key);
    },
  });
}

/** Runs the demo and returns what it saw. */
export async function main(print: (line: string) => void = (line) => console.log(line)): Promise<FailuresDemo> {
  const store = createMemoryStore();
  const smtp = { up: false };
  const deployed = new Set<string>();
  const users = new Map([['db', ['shop']]]);
  const loop = appsLoop(store, { smtp, deployed, usersOf: (database) => users.get(database) ?? [] }, consoleLogger(print));
  const shopReasons: string[] = [];
  const condition = async (name: string, type: string): Promise<Condition | undefined> =>
    (await store.get<AppSpec, ReconcileStatus>('App', name))?.status?.conditions?.find((c) => c.type === type);
  const show = async (name: string): Promise<void> => {
    const ready = await condition(name, 'Ready');
    const degraded = await condition(name, 'Degraded');
    print(`  status ${name.padEnd(7)} Ready=${ready?.status}/${ready?.reason}  Degraded=${degraded?.status}/${degraded?.reason}`);
    print(`         ${''.padEnd(7)} "${ready?.message}"`);
    if (name === 'shop' && ready !== undefined) shopReasons.push(ready.reason);
  };
  const result = (key: string, accept: (r: { parked: unknown; type: string }) => boolean) =>
    firstValueFrom(loop.results$.pipe(filter((r) => r.key === key && accept({ parked: r.parked, type: r.outcome.type }))));

  print('1. shop needs Database/db (not ready yet); mailer needs smtp.example.com (down)');
  const shopWaits = result('shop', (r) => r.type === 'waiting');
  const mailerQuarantined = result('mailer', (r) => r.parked === 'quarantined');
  await store.create('Database', { metadata: { name: 'db' }, spec: {}, status: { ready: false } });
  await store.create<AppSpec>('App', { metadata: { name: 'shop' }, spec: { database: 'db' } });
  await store.create<AppSpec>('App', { metadata: { name: 'mailer' }, spec: { smtp: 'smtp.example.com' } });

  await shopWaits;
  print('2. shop waits for its dependency: not a failure, no backoff growth');
  await show('shop');

  await mailerQuarantined;
  print('3. mailer failed 3 times in a row (retried after 20 ms and 40 ms): quarantined');
  const quarantined = loop.snapshot().parked.find((p) => p.key === 'mailer');
  print(`  snapshot: ${quarantined?.key} ${quarantined?.reason} after ${quarantined?.failures} attempts (${quarantined?.failureClass}): ${quarantined?.lastError}`);
  await show('mailer');

  print('4. the database becomes ready: shop is reconciled at once');
  const shopConverged = result('shop', (r) => r.type === 'converged');
  const db = await store.get<unknown, DatabaseStatus>('Database', 'db');
  if (db) await store.updateStatus({ ...db, status: { ready: true } });
  await shopConverged;
  await show('shop');

  print('5. the SMTP server is fixed, but mailer stays quarantined until someone releases it');
  smtp.up = true;
  const mailerConverged = result('mailer', (r) => r.type === 'converged');
  const released = loop.release('mailer');
  print(`  loop.release('mailer') → ${released}`);
  await mailerConverged;
  await loop.whenIdle();
  await show('mailer');

  await loop.stop();
  const ready: Record<string, string> = {};
  for (const app of await store.list<AppSpec, ReconcileStatus>('App')) {
    ready[keyOf(app)] = app.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-';
  }
  print(`deployed: ${[...deployed].sort().join(', ')}; the loop is stopped`);
  return { ready, quarantined, shopReasons, released };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
