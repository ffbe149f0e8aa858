/**
 * The store conformance suite (`checkStoreConformance` of rx-reconcile/testing) against the etcd
 * store on a real etcd: a fresh key prefix per generated case, and a second handle through a second
 * etcd3 client on the same prefix. etcd compacts its history as a whole, never "the last N changes",
 * so the suite's compaction property is skipped here; etcd-watch.test.ts compacts a real etcd instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Etcd3 } from 'etcd3';
import { checkStoreConformance } from 'rx-reconcile/testing';
import type { MakeStore } from '../../testing/store-harness.js';
import { createEtcdStore } from 'rx-reconcile/etcd';
import { testClient } from '../../examples/support/etcd-client.js';
import { etcdMissing, startEtcd } from '../../examples/support/etcd-server.js';
import type { EtcdServer } from '../../examples/support/etcd-server.js';

const missing = etcdMissing();
if (missing !== undefined) console.warn(`etcd conformance skipped: ${missing}`);

describe.skipIf(missing !== undefined)('checkStoreConformance on the etcd store (real etcd)', () => {
  let server: EtcdServer;
  let client: Etcd3;
  let second: Etcd3;
  let n = 0;

  beforeAll(async () => {
    server = await startEtcd();
    client = testClient(server.endpoint);
    second = testClient(server.endpoint);
  });
  afterAll(async () => {
    client?.close();
    second?.close();
    await server?.stop();
  });

  it('keeps the store contract, across two clients too', async () => {
    const make: MakeStore = ({ kinds, maxResourceBytes }) => {
      const prefix = `/conformance-${++n}`;
      const options = { prefix, kinds, ...(maxResourceBytes === undefined ? {} : { maxResourceBytes }) };
      return {
        store: createEtcdStore({ client, ...options }),
        openSecond: () => ({ store: createEtcdStore({ client: second, ...options }) }),
        cleanup: async () => void (await client.delete().prefix(`${prefix}/`).exec()),
      };
    };
    const report = await checkStoreConformance(make, { capabilities: { history: false, maxResourceBytes: true }, numRuns: Number(process.env["CONFORMANCE_RUNS"] ?? 8), eventTimeout: 5000 });
    const skipped = report.properties.filter((p) => p.skipped !== undefined).map((p) => p.name);
    expect(skipped).toEqual(report.properties.filter((p) => /compact/i.test(p.name)).map((p) => p.name));
    expect(skipped.length).toBe(1);
  }, 180_000);
});
