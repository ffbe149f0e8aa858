/**
 * Shared parts of the admin tests: a real loop over a memory store with keys that fail until fixed
 * (a hostile key name among them), and a raw HTTP client (node:http, so that tests choose every
 * header and can send malformed URLs).
 */
import { request as httpRequest } from 'node:http';
import { defer, from, switchMap } from 'rxjs';
import { Backoff, createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Loop, Metrics, Store } from 'rx-reconcile';

export const TOKEN = 'test-token-0123456789abcdef';
export const HOSTILE = '<img src=x onerror=alert(1)>';
/** Keys of the world: two healthy, two failing until fixed (one with a hostile name). */
export const BROKEN_KEY = 'default/broken';
export const HOSTILE_KEY = `default/${HOSTILE}`;

export interface World {
  readonly store: Store;
  readonly loop: Loop;
  /** Keys whose passes throw; delete one to fix it. */
  readonly broken: Set<string>;
  stop(): Promise<void>;
}

/** A loop named `items` (kind `Item`) whose broken keys are quarantined after 3 failures. */
export async function startWorld(options: { name?: string; store?: Store; metrics?: Metrics } = {}): Promise<World> {
  const store = options.store ?? createMemoryStore();
  for (const name of ['milk', 'bread', 'broken', HOSTILE]) {
    await store.create('Item', { metadata: { namespace: 'default', name }, spec: { title: name } });
  }
  const broken = new Set([BROKEN_KEY, HOSTILE_KEY]);
  const loop = defineLoop({
    name: options.name ?? 'items',
    store,
    kind: 'Item',
    workers: 2,
    backoff: Backoff.constant({ delay: 5, steps: 2 }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    reconcile: (request) => {
      if (broken.has(request.key)) throw new Error(`disk full while writing ${request.key}`);
      return undefined;
    },
  });
  return { store, loop, broken, stop: () => loop.stop({ deadline: 1000 }) };
}

/** Resolves once `check` returns true (polled every 5 ms, at most `ms`). */
export async function until(check: () => boolean | Promise<boolean>, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the broken keys are quarantined. */
export function quarantined(world: World): Promise<void> {
  return until(() => world.loop.snapshot().parked.filter((p) => p.reason === 'quarantined').length === world.broken.size, 10_000, 'quarantine');
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

/** One HTTP request to `base` (e.g. `http://127.0.0.1:1234/`), the path sent as given. */
export function http(base: string, method: string, path: string, options: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { ...(options.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(options.body)) }), ...options.headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export const auth = (token = TOKEN): Record<string, string> => ({ Authorization: `Bearer ${token}` });

/** A store whose unconditional watch (the loop's first list) waits for `gate`. */
export function gatedStore(store: Store, gate: Promise<void>): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === 'watch') {
        return (kind: string, watchOptions?: unknown) =>
          watchOptions === undefined
            ? defer(() => from(gate)).pipe(switchMap(() => target.watch(kind)))
            : (target.watch as (k: string, o: unknown) => ReturnType<Store['watch']>)(kind, watchOptions);
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
