/**
 * The tools some tests need from the system. Those tests skip, saying why, on a developer's machine
 * without them; under CI (`CI=true`, where `.ci/run` installs them with apt-get) a missing tool is a
 * failure here, so a skipped test can never hide in a green CI run.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const tools: readonly { name: string; present: () => boolean; install: string }[] = [
  { name: 'etcd', present: () => spawnSync('etcd', ['--version']).status === 0, install: 'apt-get install -y etcd-server' },
  { name: 'chromium', present: () => existsSync(process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'), install: 'apt-get install -y --no-install-recommends chromium' },
  { name: 'promtool', present: () => spawnSync(process.env['PROMTOOL_PATH'] ?? 'promtool', ['--version']).status === 0, install: 'apt-get install -y prometheus' },
  { name: 'sqlite3', present: () => ['/usr/bin/sqlite3', '/usr/local/bin/sqlite3'].some((p) => existsSync(p)), install: 'apt-get install -y sqlite3' },
];

describe.runIf(process.env['CI'] === 'true')('CI has the system tools the real-part tests need (.ci/run installs them)', () => {
  for (const tool of tools) {
    it(`has ${tool.name}`, () => {
      expect(tool.present(), `${tool.name} is missing: .ci/run should have run "${tool.install}"`).toBe(true);
    });
  }
});
