/**
 * Hard mode: the same machine as `defineLoop`, written with the operators themselves.
 *
 * Desired state: `Site` resources (`{ pages: { name: html } }`) in the memory store. The world: a Map
 * of published pages (`<site>/<page>` → html), standing in for a bucket. Triggers are the store's
 * watch, a periodic resync, and changes of `Page` overrides that name their site as owner; each pass
 * is observe → compare → correct → verify, and the work queue runs them, one key at a time.
 *
 * Run: npm run example -- examples/hard-mode.ts
 */
import { pathToFileURL } from 'node:url';
import { firstValueFrom, merge, of, share, take, toArray } from 'rxjs';
import { Outcome, createMemoryStore, keyOf, setDiff } from 'rx-reconcile';
import type { Correction, ReconcileRequest, Resource } from 'rx-reconcile';
import {
  compare,
  correct,
  createQueueControl,
  observe,
  resync,
  triggerOwners,
  verify,
  watchRequests,
  workQueue,
} from 'rx-reconcile/operators';

interface SiteSpec {
  pages: Record<string, string>;
}
type Site = Resource<SiteSpec>;

/** Runs the hard-mode loop over a few sites and returns the published world. */
export async function main(): Promise<Map<string, string>> {
  const store = createMemoryStore();
  const published = new Map<string, string>([['blog/old.html', 'gone soon']]);

  const readDesired = (key: string) => store.get<SiteSpec>('Site', key);
  const readCurrent = (key: string): Record<string, string> => {
    const prefix = `${key}/`;
    return Object.fromEntries([...published].filter(([path]) => path.startsWith(prefix)).map(([path, html]) => [path.slice(prefix.length), html]));
  };
  const plan = (desired: Site | undefined, current: Record<string, string> | undefined) => setDiff(desired?.spec.pages ?? {}, current ?? {});
  const publish = (site: string) => (c: Correction<string>) => {
    if (c.action === 'delete') published.delete(`${site}/${c.target}`);
    else published.set(`${site}/${c.target}`, c.value ?? '');
  };

  // One pass for one key: observe → compare → correct → verify, an Outcome at the end.
  const pass = (request: ReconcileRequest) =>
    of(request).pipe(
      observe({ desired: readDesired, current: readCurrent }),
      compare(plan),
      correct(publish(request.key)),
      verify({ desired: readDesired, current: readCurrent, compare: plan, inSync: () => Outcome.requeueAfter(60_000) }),
    );

  const control = createQueueControl();
  const results = merge(
    watchRequests(store, 'Site'), // the list at start (low priority), then every change
    resync({ every: 30_000, keys: async () => (await store.list('Site')).map(keyOf) }), // the safety net
    store.watch('Page').pipe(triggerOwners('Site')), // a page override wakes its site
  ).pipe(workQueue(pass, { workers: 2, control }), share());
  const running = results.subscribe(); // the loop runs while subscribed

  const firstPasses = firstValueFrom(results.pipe(take(3), toArray()));
  await store.create<SiteSpec>('Site', { metadata: { name: 'blog' }, spec: { pages: { 'index.html': '<h1>Blog</h1>' } } });
  await store.create<SiteSpec>('Site', { metadata: { name: 'docs' }, spec: { pages: { 'index.html': '<h1>Docs</h1>', 'api.html': 'API' } } });
  const blog = await store.get<SiteSpec>('Site', 'blog');
  if (blog) await store.update({ ...blog, spec: { pages: { ...blog.spec.pages, 'about.html': 'About' } } });
  for (const r of await firstPasses) console.log(`pass ${r.key.padEnd(5)} ${r.request.reason.padEnd(7)} → ${r.outcome.type}`);

  console.log('published:');
  for (const [path, html] of [...published].sort()) console.log(`  ${path.padEnd(16)} ${html}`);
  await control.stop(); // no new pass starts; resolves when none runs
  running.unsubscribe();
  return published;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
