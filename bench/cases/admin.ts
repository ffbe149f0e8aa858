/**
 * Benchmark 30 (issue 13): admin requests must not slow the loop. A `defineLoop` loop drains K keys
 * (passes without I/O, no conditions: the cheapest pass, where an admin's cost shows most) from a
 * memory store whose first list is held until everything is in place; the drain is timed from the
 * list's release to the K-th result.
 *
 * Modes: `plain` (no admin), `admin` (serveAdmin with its defaults, and a client process — the page —
 * with the event stream open and `/api/loops` polled 20×/s during the whole drain), `adminNoCache`
 * (the same with `snapshotMaxAge: 0`: every poll takes a fresh O(keys) snapshot; info).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defer, from, switchMap } from 'rxjs';
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Store } from 'rx-reconcile';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adminHandler } from 'rx-reconcile/admin';
import { noViolations, nowNs, readParams, runCase, sleep } from '../lib/util.js';

const p = readParams({ mode: 'admin' as 'plain' | 'admin' | 'adminNoCache', K: 100_000, hz: 20, workers: 16, client: true });

/** The store, with its unconditional watch (the loop's first list) held until `gate` resolves. */
function gated(store: Store, gate: Promise<void>): Store {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === 'watch') {
        return (kind: string, options?: unknown) =>
          options === undefined ? defer(() => from(gate)).pipe(switchMap(() => target.watch(kind))) : (target.watch as (k: string, o: unknown) => ReturnType<Store['watch']>)(kind, options);
      }
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function main() {
  const memory = createMemoryStore();
  for (let i = 0; i < p.K; i++) await memory.create('Item', { metadata: { name: `item-${i}` }, spec: { n: i } });
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const loop = defineLoop({ name: 'bench', store: gated(memory, gate), kind: 'Item', workers: p.workers, conditions: false, reconcile: () => undefined });
  let done = 0;
  let t1 = 0;
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  loop.results$.subscribe(() => {
    if (++done === p.K) {
      t1 = nowNs();
      finished();
    }
  });

  let client: ReturnType<typeof spawn> | undefined;
  let server: ReturnType<typeof createServer> | undefined;
  let measuring = false;
  let polls = 0;
  let handlerNs = 0;
  let handledDuring = 0;
  if (p.mode !== 'plain') {
    // adminHandler on a node:http server of its own (as serveAdmin does), counting the polls answered during the drain.
    const admin = adminHandler({ loops: [loop], ...(p.mode === 'adminNoCache' ? { snapshotMaxAge: 0 } : {}) });
    server = createServer((req, res) => {
      if (measuring && req.url === '/api/loops') res.on('finish', () => (polls += measuring ? 1 : 0));
      const h0 = nowNs();
      admin(req, res);
      if (measuring) {
        handlerNs += nowNs() - h0;
        handledDuring++;
      }
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    if (p.client) client = spawn(process.execPath, [fileURLToPath(new URL('./admin-client.mjs', import.meta.url)), url, String(p.hz)], { stdio: ['ignore', 'pipe', 'inherit'] });
    if (client !== undefined) {
      const lines = createInterface({ input: client.stdout! });
      const [first] = (await once(lines, 'line')) as [string];
      if (first !== 'ready') throw new Error(`admin client: ${first}`);
    }
    await sleep(300); // polling under way
  } else {
    await sleep(300);
  }

  const t0 = nowNs();
  const cpu0 = process.cpuUsage();
  measuring = true;
  open();
  await all;
  measuring = false;
  const cpu = process.cpuUsage(cpu0);
  const drainMs = (t1 - t0) / 1e6;

  let traffic = { events: 0, polls: 0, failures: 0 };
  if (client !== undefined) {
    const lines = createInterface({ input: client.stdout! });
    const report = once(lines, 'line');
    client.kill('SIGTERM');
    traffic = JSON.parse(((await report) as [string])[0]) as typeof traffic;
  }
  const v = noViolations();
  const counters = loop.snapshot().counters;
  if (counters.passes !== p.K || counters.converged !== p.K) v.other += 1;
  if (traffic.failures > 0) v.other += 1;
  server?.closeAllConnections();
  server?.close();
  return {
    metrics: {
      mode: p.mode,
      K: p.K,
      drainMs,
      nsPerPass: (drainMs * 1e6) / p.K,
      // CPU of this process (loop and admin) during the drain: less sensitive than wall time to other load on the machine.
      cpuMs: (cpu.user + cpu.system) / 1000,
      pollsPerSecond: p.mode === 'plain' ? 0 : polls / (drainMs / 1000),
      polls,
      clientPolls: traffic.polls,
      // Time inside the admin handler (synchronous part) during the drain.
      handlerMs: handlerNs / 1e6,
      handledDuring,
      events: traffic.events,
    },
    violations: v,
  };
}

runCase(main);
