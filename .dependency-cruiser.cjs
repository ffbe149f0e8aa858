/**
 * Import rules checked by `npm run check:deps` (dependency-cruiser): no import cycles (type-only
 * imports included), and the layers of docs/design.md — the kernel (src/) never imports the operators,
 * the testing kit or an adapter; an optional peer is imported only by its own adapter.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'Import cycles (type-only ones too) tangle the layers.', from: {}, to: { circular: true } },
    { name: 'kernel-stays-below', severity: 'error', comment: 'src/ is the kernel: it never imports operators/, testing/ or an adapter.', from: { path: '^src/' }, to: { path: '^(operators|testing|prometheus|sqlite|etcd|admin)/' } },
    { name: 'operators-below-adapters', severity: 'error', comment: 'operators/ never imports the testing kit or an adapter.', from: { path: '^operators/' }, to: { path: '^(testing|prometheus|sqlite|etcd|admin)/' } },
    { name: 'prom-client-only-in-prometheus', severity: 'error', from: { pathNot: '^(prometheus|admin)/' }, to: { path: 'node_modules/prom-client/' } },
    { name: 'better-sqlite3-only-in-sqlite', severity: 'error', from: { pathNot: '^sqlite/' }, to: { path: 'node_modules/(better-sqlite3|@types/better-sqlite3)/' } },
    { name: 'etcd3-only-in-etcd', severity: 'error', from: { pathNot: '^etcd/' }, to: { path: 'node_modules/etcd3/' } },
    { name: 'fast-check-only-in-testing', severity: 'error', from: { path: '^(src|operators|prometheus|sqlite|etcd|admin)/' }, to: { path: 'node_modules/fast-check/' } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['rx-reconcile-source', 'import', 'types', 'default'] },
  },
};
