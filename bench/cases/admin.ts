/**
 * Benchmark 30 (issue 13): admin requests must not slow the loop.
 *
 * One process, one memory store of K items, then `pairs` pairs of drains taken in turn (the order
 * inside each pair alternates): a `defineLoop` loop (passes without I/O, no conditions: the cheapest
 * pass, where an admin's cost shows most) drains the K keys from the store, timed from the release of
 * its first list (held until everything is in place) to the K-th result —
 * - `plain`: no admin; the client process is stopped (SIGSTOP);
 * - `admin`: `adminHandler` for that loop on a node:http server, and the client process — the page —
 *   running (SIGCONT): its event stream open on /api/events and GET /api/loops polled `hz` times a
 *   second (keep-alive) during the whole drain.
 * Pairs taken close together see the same load on a shared machine; the figure is the median of the
 * per-pair ratios. `cache: false` runs the admin with `snapshotMaxAge: 0` (a fresh O(keys) snapshot
 * per poll).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defer, from, switchMap } from 'rxjs';
import { createMemoryStore, defineLoop } from 'rx-reconcile';
import type { Store } from 'rx-reconcile';
import { adminHandler } from 'rx-reconcile/admin';
import type { AdminHandler } from '../../admin/admin-handler.js';
import { median, noViolations, nowNs, readParams, runCase, sleep } from '../lib/util.js';

const p = readParams({ K: 100_000, pairs: 8, hz: 20, workers: 16, cache: true });

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

interface Drain {
  readonly ms: number;
  readonly cpuMs: number;
  readonly handlerMs: number;
  readonly polls: number;
  readonly ok: boolean;
}

async function main() {
  const store = createMemoryStore();
  for (let i = 0; i < p.K; i++) await store.create('Item', { metadata: { name: `item-${i}` }, spec: { n: i } });

  // The server stays; each admin drain mounts a fresh handler for its loop.
  let current: AdminHandler | undefined;
  let measuring = false;
  let handlerNs = 0;
  let polls = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (current === undefined) {
      res.statusCode = 503;
      res.end();
      return;
    }
    const t = nowNs();
    current(req, res);
    if (measuring) {
      handlerNs += nowNs() - t;
      if (req.url === '/api/loops') polls++;
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const client = spawn(process.execPath, [fileURLToPath(new URL('./admin-client.mjs', import.meta.url)), url, String(p.hz)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: client.stdout! });
  const clientLines: string[] = [];
  lines.on('line', (line) => clientLines.push(line));
  client.kill('SIGSTOP');

  const drain = async (withAdmin: boolean): Promise<Drain> => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const loop = defineLoop({ name: 'bench', store: gated(store, gate), kind: 'Item', workers: p.workers, conditions: false, reconcile: () => undefined });
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
    if (withAdmin) {
      current = adminHandler({ loops: [loop], ...(p.cache ? {} : { snapshotMaxAge: 0 }) });
      const seen = clientLines.length;
      client.kill('SIGCONT');
      // The page is there: its event stream answered (again) and the polls are under way.
      while (!clientLines.slice(seen).includes('ready')) await sleep(10);
      await sleep(200);
    } else {
      await sleep(200);
    }
    handlerNs = 0;
    polls = 0;
    const cpu0 = process.cpuUsage();
    const t0 = nowNs();
    measuring = true;
    open();
    await all;
    measuring = false;
    const cpu = process.cpuUsage(cpu0);
    if (withAdmin) {
      client.kill('SIGSTOP');
      current?.close();
      current = undefined;
    }
    const ok = loop.snapshot().counters.converged === p.K;
    await loop.stop();
    global.gc?.();
    return { ms: (t1 - t0) / 1e6, cpuMs: (cpu.user + cpu.system) / 1000, handlerMs: handlerNs / 1e6, polls, ok };
  };

  await drain(false); // warm-up (JIT), not counted
  const plain: Drain[] = [];
  const admin: Drain[] = [];
  for (let i = 0; i < p.pairs; i++) {
    if (i % 2 === 0) {
      plain.push(await drain(false));
      admin.push(await drain(true));
    } else {
      admin.push(await drain(true));
      plain.push(await drain(false));
    }
  }
  client.kill('SIGCONT');
  client.kill('SIGTERM');
  await once(client, 'exit');
  server.closeAllConnections();
  server.close();

  const v = noViolations();
  for (const d of [...plain, ...admin]) if (!d.ok) v.other += 1;
  const ratios = admin.map((a, i) => a.ms / plain[i]!.ms);
  const cpuRatios = admin.map((a, i) => a.cpuMs / plain[i]!.cpuMs);
  return {
    metrics: {
      K: p.K,
      pairs: p.pairs,
      cache: p.cache,
      ratio: median(ratios),
      cpuRatio: median(cpuRatios),
      plainMs: median(plain.map((d) => d.ms)),
      adminMs: median(admin.map((d) => d.ms)),
      plainCpuMs: median(plain.map((d) => d.cpuMs)),
      adminCpuMs: median(admin.map((d) => d.cpuMs)),
      // Time inside the admin handler (its synchronous part, every request) during an admin drain.
      handlerMs: median(admin.map((d) => d.handlerMs)),
      pollsPerSecond: median(admin.map((d) => d.polls / (d.ms / 1000))),
      ratios: ratios.map((r) => r.toFixed(3)).join(' '),
    },
    violations: v,
  };
}

runCase(main);
