import { defineConfig } from 'vitest/config';

// Tests import the package by name ('rx-reconcile', 'rx-reconcile/operators', …), as users do. The
// 'rx-reconcile-source' export condition maps those names to the TypeScript sources, so no build is
// needed before a test run.
export default defineConfig({
  resolve: { conditions: ['rx-reconcile-source'] },
  ssr: { resolve: { conditions: ['rx-reconcile-source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
