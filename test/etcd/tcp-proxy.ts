/**
 * A TCP proxy on 127.0.0.1 in front of a test's etcd, that can cut every connection through it and
 * refuse new ones (a partition of one client from etcd), then let connections through again.
 */
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';

export interface TcpProxy {
  /** `127.0.0.1:<port>` to give the client instead of etcd's endpoint. */
  readonly endpoint: string;
  /** Closes every open connection and refuses new ones until `heal()`. */
  cut(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<TcpProxy> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  let cutOff = false;
  const server = createServer((inbound) => {
    if (cutOff) {
      inbound.destroy();
      return;
    }
    const outbound = connect(Number(port), host);
    sockets.add(inbound).add(outbound);
    const drop = (): void => {
      inbound.destroy();
      outbound.destroy();
      sockets.delete(inbound);
      sockets.delete(outbound);
    };
    inbound.on('error', drop).on('close', drop);
    outbound.on('error', drop).on('close', drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const listening = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `127.0.0.1:${listening}`,
    cut: () => {
      cutOff = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    heal: () => {
      cutOff = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
