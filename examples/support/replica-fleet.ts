/**
 * Starts replicas of the `Item` loop (`replica-worker.ts`) as real child processes, reads their JSON
 * lines, and signals them by pid: for `examples/replicas.ts`, the replica tests and the benchmarks.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** One line a worker printed. */
export interface WorkerLine {
  readonly replica: string;
  /** Wall-clock ms (`Date.now()` in the worker: one machine, one clock). */
  readonly t: number;
  readonly ev: 'start' | 'write' | 'end' | 'ownership' | 'ready' | 'stopped';
  readonly key?: string;
  readonly token?: number;
  readonly ok?: boolean;
  readonly code?: string;
  readonly owned?: readonly number[];
  readonly members?: readonly string[];
  readonly ready?: boolean;
  readonly generation?: number;
}

/** The configuration a worker takes (see replica-worker.ts). */
export interface WorkerConfig {
  readonly endpoint: string;
  readonly prefix: string;
  readonly replica: string;
  readonly ttl: number;
  readonly renewDeadline?: number;
  readonly shards?: number;
  readonly passMs?: number;
  readonly workers?: number;
}

/** A running replica process. */
export interface ReplicaProcess {
  readonly replica: string;
  readonly pid: number;
  /** Every line printed so far. */
  readonly lines: WorkerLine[];
  /** Called for each new line. */
  onLine(listener: (line: WorkerLine) => void): void;
  /** Sends a signal to this process (only). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM (graceful: the loop stops, the coordinator revokes), SIGKILL after 10 s; resolves on exit. */
  stop(): Promise<void>;
  readonly exited: Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const worker = fileURLToPath(new URL('./replica-worker.ts', import.meta.url));

/** Starts one replica; with `netns`, inside that network namespace (`ip netns exec`, as root). */
export function spawnReplica(config: WorkerConfig, options: { readonly netns?: string } = {}): ReplicaProcess {
  const node = [process.execPath, '--conditions=rx-reconcile-source', '--no-warnings', '--import', 'tsx', worker, JSON.stringify(config)];
  const child: ChildProcess =
    options.netns === undefined
      ? spawn(node[0] as string, node.slice(1), { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('ip', ['netns', 'exec', options.netns, ...node], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: WorkerLine[] = [];
  const listeners: ((line: WorkerLine) => void)[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    let line: WorkerLine;
    try {
      line = JSON.parse(text) as WorkerLine;
    } catch {
      return;
    }
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal === null && stderr !== '') process.stderr.write(`replica ${config.replica} exited with ${code}: ${stderr}\n`);
  });
  return {
    replica: config.replica,
    pid: child.pid as number,
    lines,
    onLine: (listener) => void listeners.push(listener),
    signal: (signal) => {
      if (alive()) process.kill(child.pid as number, signal);
    },
    stop: async () => {
      if (!alive()) return;
      process.kill(child.pid as number, 'SIGCONT');
      process.kill(child.pid as number, 'SIGTERM');
      const timer = setTimeout(() => alive() && process.kill(child.pid as number, 'SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    exited,
  };
}

/** Resolves once `check` holds, polling every 20 ms; rejects after `ms`. */
export async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
