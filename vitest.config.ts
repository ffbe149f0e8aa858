import { defineConfig } from 'vitest/config';

// Tests import the package by name ('rx-reconcile', 'rx-reconcile/operators', …), as users do. The
// 'rx-reconcile-source' export condition maps those names to the TypeScript sources, so no build is
// needed before a test run.
//
// Two tiers, one per vitest project; a test file belongs to exactly one, by its name:
// - `unit` (`npm test`): unit, marble, property and in-process real-run tests — `test/**/*.test.ts`.
// - `check` (`npm run check`): whatever starts a process, a browser or a server, or checks the whole
//   project — `test/**/*.check.test.ts`: strict tsc, build and import of dist, examples as processes,
//   the quick benchmark, Chromium, etcd, promtool, SQLite child processes and crashes, the testing
//   kit's broken-loop cases.
// `test/tiers.check.test.ts` lists both projects and fails on a test file that is in neither or both.
// `npx vitest run <file>` runs one file of either tier.
const shared = {
  resolve: { conditions: ['rx-reconcile-source'] },
  ssr: { resolve: { conditions: ['rx-reconcile-source'] } },
};

export default defineConfig({
  ...shared,
  test: {
    projects: [
      {
        ...shared,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.check.test.ts', '**/node_modules/**'],
          // The unit files share one module graph per worker (rxjs, zod, fast-check and the library
          // are imported once, not once per file: 45 s of CPU down to 20 s). They may: every test
          // makes its own store, scheduler and prom-client Registry, and restores what it changes
          // (rxjs `config`). A test that needs a fresh module graph belongs in the check tier.
          isolate: false,
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        ...shared,
        test: {
          name: 'check',
          include: ['test/**/*.check.test.ts'],
          exclude: ['**/node_modules/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
