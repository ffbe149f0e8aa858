/**
 * A stream loop: mirror a folder. "A loop is a pipeline of desired$ and current$ streams merged with
 * resync timers" — here `desired$` is the source folder (scanned every 200 ms), `current$` the mirror
 * folder, and the loop's only job is to make each file of the mirror equal to its source, and to
 * remove the mirror's files that have no source (a removed file gets its pass at once). No store.
 *
 * Run: npm run example -- examples/streams.ts [source folder] [mirror folder]
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defer, distinctUntilChanged, interval, startWith, switchMap } from 'rxjs';
import type { Observable } from 'rxjs';
import { Outcome, defineLoop, deepEqual } from 'rx-reconcile';
import type { Loop } from 'rx-reconcile';

/** The files of a folder as a snapshot: file name → text. */
export async function scan(folder: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const name of (await readdir(folder)).filter((n) => !n.startsWith('.')).sort()) files.set(name, await readFile(join(folder, name), 'utf8'));
  return files;
}

/** A folder watched by polling: a snapshot now, then each time it changed. */
export function folder$(folder: string, everyMs = 200): Observable<Map<string, string>> {
  return interval(everyMs).pipe(
    startWith(0),
    switchMap(() => defer(() => scan(folder))),
    distinctUntilChanged((a, b) => deepEqual([...a], [...b])),
  );
}

/** The mirror loop: `mirror` follows `source`. */
export function mirrorLoop(source: string, mirror: string): Loop {
  return defineLoop({
    name: 'mirror',
    desired$: folder$(source),
    current$: folder$(mirror),
    resync: 60_000,
    async reconcile(request, ctx) {
      const want = ctx.desired();
      if (want === undefined) await rm(join(mirror, request.key), { force: true }); // no source: remove
      else if (ctx.current() !== want) await writeFile(join(mirror, request.key), want);
      return Outcome.converged();
    },
  });
}

/** Runs the demo: files come, change and go in the source; the mirror follows. */
export async function main(args: readonly string[] = []): Promise<Map<string, string>> {
  const source = args[0] ?? (await mkdtemp(join(tmpdir(), 'rx-mirror-src-')));
  const mirror = args[1] ?? (await mkdtemp(join(tmpdir(), 'rx-mirror-dst-')));
  await mkdir(source, { recursive: true });
  await mkdir(mirror, { recursive: true });
  await writeFile(join(mirror, 'stale.txt'), 'left over from an earlier run');
  console.log(`mirroring ${source} → ${mirror}`);
  const loop = mirrorLoop(source, mirror);
  loop.results$.subscribe((r) => console.log(`  pass ${r.key.padEnd(10)} ${r.request.reason.padEnd(8)} → ${r.outcome.type}`));
  const settle = async (): Promise<void> => {
    await new Promise((resolve) => setTimeout(resolve, 600)); // two scans of each folder
    await loop.whenIdle();
  };
  try {
    console.log('1. two files appear in the source; the stale mirror file goes');
    await writeFile(join(source, 'a.txt'), 'alpha');
    await writeFile(join(source, 'b.txt'), 'beta');
    await settle();
    console.log('2. a.txt changes');
    await writeFile(join(source, 'a.txt'), 'alpha 2');
    await settle();
    console.log('3. b.txt is removed');
    await rm(join(source, 'b.txt'));
    await settle();
    const result = await scan(mirror);
    console.log(`mirror: ${[...result].map(([name, text]) => `${name}=${JSON.stringify(text)}`).join(', ')}`);
    return result;
  } finally {
    await loop.stop();
    if (args[0] === undefined) await rm(source, { recursive: true, force: true });
    if (args[1] === undefined) await rm(mirror, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
