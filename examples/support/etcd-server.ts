/**
 * Starts a throw-away single-member etcd for examples, tests and benchmarks: free 127.0.0.1 ports, a
 * temporary data directory, and a handle that signals, restarts and stops only the process it started
 * (by pid). Needs the `etcd` binary (Debian: `apt-get install -y etcd-server`).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running etcd started by {@link startEtcd}. */
export interface EtcdServer {
  /** `127.0.0.1:<port>`, for `new Etcd3({ hosts })`. */
  readonly endpoint: string;
  readonly dataDir: string;
  /** Pid of the running etcd (changes on restart). */
  readonly pid: number;
  /** Sends `signal` to the etcd this handle started. */
  signal(signal: NodeJS.Signals): void;
  /** `kill -9` and wait for the process to be gone. */
  crash(): Promise<void>;
  /** Starts etcd again on the same data dir and ports; resolves once healthy. */
  restart(): Promise<void>;
  /** Stops etcd and removes the data dir. */
  stop(): Promise<void>;
}

/** Why etcd cannot run here, or undefined when the binary is on the PATH. */
export function etcdMissing(): string | undefined {
  const found = spawnSync('etcd', ['--version'], { encoding: 'utf8' });
  if (found.error !== undefined || found.status !== 0) {
    return 'the etcd binary is not on the PATH (Debian: apt-get update && apt-get install -y etcd-server)';
  }
  return undefined;
}

/** A free TCP port on 127.0.0.1 (the OS picks one; it is closed again before etcd binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a single-member etcd on 127.0.0.1 (and on `alsoListenOn`, an address of a test's own network
 * namespace bridge, when given); resolves once `/health` says so.
 */
export async function startEtcd(options: { readonly extraArgs?: readonly string[]; readonly alsoListenOn?: string } = {}): Promise<EtcdServer> {
  const missing = etcdMissing();
  if (missing !== undefined) throw new Error(missing);
  const dataDir = await mkdtemp(join(tmpdir(), 'rx-reconcile-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'test',
    '--data-dir', join(dataDir, 'data'),
    '--listen-client-urls', options.alsoListenOn === undefined ? client : `${client},http://${options.alsoListenOn}:${clientPort}`,
    '--advertise-client-urls', client,
    '--listen-peer-urls', peer,
    '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `test=${peer}`,
    '--log-level', 'error',
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess;
  let exited: Promise<void>;
  let log = '';

  const launch = async (): Promise<void> => {
    child = spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
    });
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const started = Date.now();
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`etcd exited at start: ${log}`);
      try {
        const response = await fetch(`${client}/health`, { signal: AbortSignal.timeout(1000) });
        const body = (await response.json()) as { health?: string };
        if (body.health === 'true') return;
      } catch {
        // not listening yet
      }
      if (Date.now() - started > 20_000) throw new Error(`etcd was not healthy within 20 s: ${log}`);
      await sleep(50);
    }
  };

  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(child.pid as number, signal);
      await exited;
    }
  };

  await launch();
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    dataDir,
    get pid() {
      return child.pid as number;
    },
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid as number, signal);
    },
    crash: () => kill('SIGKILL'),
    restart: async () => {
      await kill('SIGKILL');
      await launch();
    },
    stop: async () => {
      await kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
