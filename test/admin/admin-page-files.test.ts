/**
 * The page's files as shipped: its script never turns data into HTML, loads nothing from elsewhere,
 * and keeps to the CSP (no inline script, style or event handler).
 */
import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';

const page = (name: string) => readFile(new URL(`../../admin/page/${name}`, import.meta.url), 'utf8');

describe('admin page files', () => {
  it('the script writes text only: no innerHTML, outerHTML, insertAdjacentHTML, document.write, eval or Function', async () => {
    const js = await page('admin.js');
    const code = js.split('\n').filter((line) => !line.trim().startsWith('//')).join('\n');
    for (const sink of [/innerHTML/, /outerHTML/, /insertAdjacentHTML/, /document\.write/, /\beval\(/, /new Function/, /\.srcdoc/, /createContextualFragment/, /DOMParser/]) {
      expect(code, String(sink)).not.toMatch(sink);
    }
    expect(code).toMatch(/textContent/);
  });

  it('the HTML has no inline script, style or event handler, and loads only its own files', async () => {
    const html = await page('index.html');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/);
    for (const m of html.matchAll(/\b(?:src|href)="([^"]+)"/g)) expect(m[1]).toMatch(/^assets\//);
  });
});
