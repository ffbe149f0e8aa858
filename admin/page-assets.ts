/**
 * The admin page's static files (`admin/page/`: HTML, CSS, JS), shipped in the package as they are —
 * no build step. Read once when a handler is created.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One static file of the page. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'admin.css': 'text/css; charset=utf-8',
  'admin.js': 'text/javascript; charset=utf-8',
};

/**
 * The folder holding the page: next to this module when it runs from the sources
 * (`admin/page/`), or the package's `admin/page/` when it runs from `dist/admin/`.
 */
function pageFolder(): string {
  for (const candidate of ['./page/', '../../admin/page/']) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}index.html`)) return path;
  }
  throw new Error('rx-reconcile/admin: the page files (admin/page/) are missing from the package; reinstall rx-reconcile');
}

let loaded: ReadonlyMap<string, Asset> | undefined;

/** The page's files by name (`index.html`, `admin.css`, `admin.js`). */
export function pageAssets(): ReadonlyMap<string, Asset> {
  if (loaded === undefined) {
    const folder = pageFolder();
    const map = new Map<string, Asset>();
    for (const [name, type] of Object.entries(FILES)) map.set(name, { type, body: readFileSync(`${folder}${name}`) });
    loaded = map;
  }
  return loaded;
}
