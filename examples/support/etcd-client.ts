/**
 * etcd3 clients for examples, tests and benchmarks: the host circuit breaker etcd3 installs by default (open for 5 s after
 * three failures) is replaced by a pass-through policy, so a client reconnects as soon as etcd is
 * back; every request still has the adapter's deadline.
 */
import { Etcd3 } from 'etcd3';
import type { IOptions } from 'etcd3';

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/** A policy that runs each call once, as it is (returning a Promise, which etcd3 expects). */
const passThrough = { execute: async <T>(fn: () => T | Promise<T>): Promise<T> => fn() } as unknown as HostPolicy;

export function testClient(endpoint: string): Etcd3 {
  return new Etcd3({ hosts: endpoint, faultHandling: { host: () => passThrough } });
}
