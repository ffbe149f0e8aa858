/**
 * `rx-reconcile/etcd`: several replicas on etcd v3 — the `Store` on etcd (`createEtcdStore`) and the
 * `Coordinator` that shards keys across live replicas with fenced ownership (`etcdCoordinator`).
 * The only module that imports the optional peer `etcd3`.
 *
 * @module
 */
export { createEtcdStore } from './etcd-store.js';
export type { EtcdStore, EtcdStoreOptions } from './etcd-store.js';
export { etcdCoordinator } from './etcd-coordinator.js';
export type { EtcdCoordinator } from './etcd-coordinator.js';
export type { EtcdCoordinatorOptions } from './coordinator-options.js';
