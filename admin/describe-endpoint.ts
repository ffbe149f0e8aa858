/**
 * The design document of the administered loops (issue 18): `GET /describe` (a page) and
 * `GET /describe.md` (Markdown), rendered by `describeLoops` from the loop definitions, what their
 * passes used and live figures (`?lang=zh` for the template's own language).
 *
 * @module
 */
import { describeLoops, describeLoopsHtml } from '../operators/describe-loops.js';
import type { DescribableLoop } from '../operators/describe-loops.js';
import type { LoopWatch } from '../operators/describe/watch-loops.js';
import type { AdminLoop } from './admin-options.js';
import type { Endpoint } from './api-handlers.js';
import { HttpError, send } from './http-io.js';

/** An endpoint serving the document as a page (`html`) or as Markdown. */
export function describeDocument(loops: readonly AdminLoop[], watch: LoopWatch, format: 'html' | 'markdown'): Endpoint {
  return (req, res, match) => {
    const lang = match.query.get('lang') ?? 'en';
    if (lang !== 'en' && lang !== 'zh') throw new HttpError(400, 'bad_query', 'lang must be "en" or "zh"');
    const described = loops as readonly DescribableLoop[];
    // The admin's own address, for the document's manual-intervention section: the path this page is
    // served under (a mount prefix included), without "describe" / "describe.md".
    const path = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/').split('?')[0] ?? '/';
    const adminUrl = path.replace(/describe(\.md)?$/, '') || '/';
    const options = { live: watch, adminUrl: adminUrl.startsWith('/') ? adminUrl : '/', language: lang } as const;
    if (format === 'markdown') {
      send(req, res, 200, 'text/markdown; charset=utf-8', describeLoops(described, options));
      return;
    }
    const body = describeLoopsHtml(described, options);
    const title = lang === 'zh' ? '闭环设计' : 'Reconcile loops';
    // A static page: no script at all; the fragment is escaped by construction (see describeLoopsHtml).
    const html =
      `<!doctype html>\n<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<meta name="referrer" content="no-referrer"><title>${title}</title><link rel="stylesheet" href="assets/admin.css"></head>` +
      `<body><header><h1>${title}</h1><a href="./">back to the admin</a> · <a href="describe?lang=${lang === 'zh' ? 'en' : 'zh'}">${lang === 'zh' ? 'English' : '中文'}</a> · ` +
      `<a href="describe.md?lang=${lang}">Markdown</a></header><main class="describe">${body}</main></body></html>\n`;
    send(req, res, 200, 'text/html; charset=utf-8', html);
  };
}
