/**
 * The admin page in real Chromium (Debian's `chromium`, driven by playwright-core): a running loop
 * with quarantined keys, the page lists them with their errors, Release makes a fixed key converge,
 * a hostile key name is shown as text, pause/resume work from the page, and the page keeps to its
 * Content-Security-Policy. A screenshot is kept in test-artifacts/admin/ (git-ignored).
 *
 * Skips only when Chromium is missing (CHROMIUM_PATH, default /usr/bin/chromium); `.ci/run` installs
 * it, so CI always runs these.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { Outcome, createMemoryStore, defineLoop } from 'rx-reconcile';
import { serveAdmin } from 'rx-reconcile/admin';
import type { AdminServer } from 'rx-reconcile/admin';
import { BROKEN_KEY, HOSTILE, HOSTILE_KEY, TOKEN, quarantined, startWorld } from './fixture.js';
import type { World } from './fixture.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
const ARTIFACTS = join(new URL('../..', import.meta.url).pathname, 'test-artifacts', 'admin');
const title = present
  ? 'admin page in Chromium'
  : `admin page in Chromium — SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH)`;

if (!present && process.env['CI'] === 'true') it('CI has Chromium (.ci/run installs it)', () => {
  expect.fail(`no Chromium at ${CHROMIUM}: .ci/run should have installed Debian's chromium`);
});

describe.skipIf(!present)(title, () => {
  let browser: Browser;
  let world: World;
  let server: AdminServer;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    world = await startWorld();
    server = await serveAdmin({ loops: [world.loop], token: TOKEN, eventsInterval: 100 });
    await quarantined(world);
    page = await browser.newPage();
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    // The token arrives in the URL fragment (never sent to the server) and is kept for the tab.
    await page.goto(`${server.url}#token=${TOKEN}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await world?.stop();
  });

  const row = (key: string) => page.locator('#keys tbody tr').filter({ has: page.locator('td.key', { hasText: key }) });

  it('lists the loop live and the quarantined keys with their errors', async () => {
    await expect.poll(() => page.locator('#connection').textContent()).toBe('live');
    await expect.poll(() => page.locator('#loops tbody tr[data-loop="items"] td').nth(2).textContent()).toBe('ready');
    await expect.poll(() => row(BROKEN_KEY).count()).toBe(1);
    await expect.poll(() => row(BROKEN_KEY).locator('td').nth(1).textContent()).toBe('quarantined');
    expect(await row(BROKEN_KEY).locator('td.error').textContent()).toBe(`transient: disk full while writing ${BROKEN_KEY}`);
    expect(await page.locator('#notice').isHidden()).toBe(true);
    expect(new URL(page.url()).hash).toBe('');
  });

  it('shows the hostile key and its error as text: no element is created from it, no script runs', async () => {
    await expect.poll(() => row(HOSTILE_KEY).count()).toBe(1);
    expect(await row(HOSTILE_KEY).locator('td.key').textContent()).toBe(HOSTILE_KEY);
    expect(await row(HOSTILE_KEY).locator('td.error').textContent()).toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    await row(HOSTILE_KEY).locator('button[data-action="details"]').click();
    await expect.poll(() => page.locator('#detail-key').textContent()).toBe(HOSTILE_KEY);
    expect(await page.locator('#resource').textContent()).toContain(HOSTILE);
    expect(await page.locator('img').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('Release on a fixed key: the key converges and leaves the list; its passes show the manual pass converged', async () => {
    world.broken.delete(BROKEN_KEY);
    await row(BROKEN_KEY).locator('button[data-action="release"]').click();
    await expect.poll(() => page.locator('#message').textContent()).toBe(`Release ${BROKEN_KEY} done.`);
    await expect.poll(() => row(BROKEN_KEY).count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => page.locator('#detail-key').textContent()).toBe(BROKEN_KEY);
    await expect.poll(() => page.locator('#detail-state').getAttribute('data-state')).toBe('idle');
    await expect.poll(() => page.locator('#passes tbody tr').first().getAttribute('data-outcome')).toBe('converged');
    expect(await page.locator('#passes tbody tr').first().locator('td').nth(1).textContent()).toBe('manual');
    expect(await page.locator('#conditions tbody tr').filter({ hasText: 'Ready' }).locator('td').nth(1).textContent()).toBe('True');
    expect(world.loop.snapshot().parked.map((p) => p.key)).toEqual([HOSTILE_KEY]);
  });

  it('Pause and Resume from the page are visible on the page and in the loop', async () => {
    await page.locator('#loops button[data-action="pause"]').click();
    await expect.poll(() => world.loop.health().paused).toBe(true);
    await expect.poll(() => page.locator('#loops tbody tr[data-loop="items"] td').nth(2).textContent()).toBe('paused');
    await page.locator('#loops button[data-action="resume"]').click();
    await expect.poll(() => world.loop.health().paused).toBe(false);
    await expect.poll(() => page.locator('#loops tbody tr[data-loop="items"] td').nth(2).textContent()).toBe('ready');
  });

  it('keeps a screenshot of the page as a test artifact', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await row(HOSTILE_KEY).locator('button[data-action="details"]').click();
    await expect.poll(() => page.locator('#detail-key').textContent()).toBe(HOSTILE_KEY);
    const file = join(ARTIFACTS, 'admin-page.png');
    await page.screenshot({ path: file, fullPage: true });
    expect(existsSync(file)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('a page without the token gets refused actions and says to enter the token', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(server.url);
      const hostile = other.locator('#keys tbody tr').filter({ has: other.locator('td.key', { hasText: HOSTILE_KEY }) });
      await expect.poll(() => hostile.count()).toBe(1);
      await hostile.locator('button[data-action="release"]').click();
      await expect.poll(() => other.locator('#message').textContent()).toMatch(/refused: send Authorization: Bearer <token> \(enter the token above\)/);
      expect(world.loop.snapshot().parked.map((p) => p.key)).toEqual([HOSTILE_KEY]);
    } finally {
      await other.close();
    }
  });

  it('says read-only and disables the buttons when the admin has no token', async () => {
    const readOnly = await serveAdmin({ loops: [world.loop] });
    const other = await browser.newPage();
    try {
      await other.goto(readOnly.url);
      await expect.poll(() => other.locator('#notice').textContent()).toMatch(/^Read-only: /);
      const hostile = other.locator('#keys tbody tr').filter({ has: other.locator('td.key', { hasText: HOSTILE_KEY }) });
      await expect.poll(() => hostile.count()).toBe(1);
      expect(await hostile.locator('button[data-action="release"]').isDisabled()).toBe(true);
      expect(await other.locator('#loops button[data-action="pause"]').isDisabled()).toBe(true);
    } finally {
      await other.close();
      await readOnly.close();
    }
  });
  it('a stream refused with 503 (too many open) says disconnected, then goes live again by itself once a slot is free', async () => {
    // Regression: the browser never retries an EventSource after a non-stream answer; the page stayed
    // on "reconnecting…" with stale figures for good.
    const single = await serveAdmin({ loops: [world.loop], token: TOKEN, eventsInterval: 100, maxEventStreams: 1 });
    const first = await browser.newPage();
    const second = await browser.newPage();
    try {
      await first.goto(single.url);
      await expect.poll(() => first.locator('#connection').textContent()).toBe('live');
      await second.goto(single.url);
      await expect.poll(() => second.locator('#connection').textContent()).toMatch(/^disconnected: retrying in \d+ s$/);
      await first.close();
      await expect.poll(() => second.locator('#connection').textContent(), { timeout: 15_000 }).toBe('live');
    } finally {
      await second.close();
      if (!first.isClosed()) await first.close();
      await single.close();
    }
  }, 30_000);

  it('a token in the address that is not valid percent-encoding is dropped with a message; the page still works', async () => {
    const other = await browser.newPage();
    const errors: string[] = [];
    other.on('pageerror', (error) => errors.push(error.message));
    try {
      await other.goto(`${server.url}#token=abc%E0%A4%A`);
      await expect.poll(() => other.locator('#connection').textContent()).toBe('live');
      await expect.poll(() => other.locator('#token-state').textContent()).toMatch(/token in the address was not valid/);
      expect(new URL(other.url()).hash).toBe('');
      await expect.poll(() => other.locator('#loops tbody tr[data-loop="items"]').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('pages through 521 stuck keys, finds one by search, and acts on a key named ".." (which a path cannot carry)', async () => {
    const store = createMemoryStore();
    const names = Array.from({ length: 520 }, (_, i) => `job-${String(i).padStart(3, '0')}`).concat(['..']);
    for (const name of names) await store.create('Item', { metadata: { name }, spec: {} });
    const loop = defineLoop({ name: 'many', store, kind: 'Item', workers: 8, reconcile: (r) => Outcome.terminal(new Error(`no ${r.key}`)) });
    const many = await serveAdmin({ loops: [loop], token: TOKEN, eventsInterval: 100 });
    const other = await browser.newPage();
    const errors: string[] = [];
    other.on('pageerror', (error) => errors.push(error.message));
    try {
      await expect.poll(() => loop.snapshot().parked.length, { timeout: 15_000 }).toBe(521);
      await other.goto(`${many.url}#token=${TOKEN}`);
      await expect.poll(() => other.locator('#keys-total').textContent()).toBe('1–500 of 521');
      expect(await other.locator('#keys tbody tr').count()).toBe(500);
      expect(await other.locator('#keys-prev').isHidden()).toBe(true);
      await other.locator('#keys-next').click();
      await expect.poll(() => other.locator('#keys-total').textContent()).toBe('501–521 of 521');
      expect(await other.locator('#keys tbody tr').count()).toBe(21);
      expect(await other.locator('#keys-next').isHidden()).toBe(true);
      await other.locator('#keys-prev').click();
      await expect.poll(() => other.locator('#keys-total').textContent()).toBe('1–500 of 521');
      await other.locator('#key-search').fill('JOB-51');
      await expect.poll(() => other.locator('#keys-total').textContent()).toBe('10 key(s) matching');
      await other.locator('#key-search').fill('zzz');
      await expect.poll(() => other.locator('#keys-empty').textContent()).toBe('No key in this state contains "zzz".');
      await other.locator('#key-search').fill('..');
      const dots = other.locator('#keys tbody tr').filter({ has: other.locator('td.key', { hasText: /^\.\.$/ }) });
      await expect.poll(() => dots.count()).toBe(1);
      await dots.locator('button[data-action="details"]').click();
      await expect.poll(() => other.locator('#detail-key').textContent()).toBe('..');
      await expect.poll(() => other.locator('#detail-state').getAttribute('data-state')).toBe('terminal');
      await dots.locator('button[data-action="release"]').click();
      await expect.poll(() => other.locator('#message').textContent()).toBe('Release .. done.');
      expect(errors).toEqual([]);
    } finally {
      await other.close();
      await many.close();
      await loop.stop({ deadline: 1000 });
    }
  }, 60_000);
});
