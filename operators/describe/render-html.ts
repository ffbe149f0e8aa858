/**
 * Prints a described document as an HTML fragment that is safe to put in a page: every text is
 * escaped, and the only markup made from texts is `<code>` for code spans, `<strong>` for `**bold**`
 * and `<a>` for links whose address is `http:`, `https:`, or relative (`/…`, `#…`); anything else stays
 * text. No attribute takes user text except a link's escaped `href`. Deterministic for a document.
 *
 * @module
 */
import type { Block, DescribedDocument } from './document.js';

/** The document as an HTML fragment (no `<html>` or `<body>`: put it in your page). */
export function renderHtml(document: DescribedDocument): string {
  return `${document.map(block).join('\n')}\n`;
}

function block(b: Block): string {
  switch (b.type) {
    case 'heading':
      return `<h${b.level}>${inline(b.text)}</h${b.level}>`;
    case 'paragraph':
      return `<p>${inline(b.text)}</p>`;
    case 'list':
      return `<ul>\n${b.items.map((item) => `<li>${inline(item)}</li>`).join('\n')}\n</ul>`;
    case 'checklist':
      return `<ul class="checklist">\n${b.items
        .map((item) => `<li><input type="checkbox" disabled${item.checked ? ' checked' : ''}> ${inline(item.text)}</li>`)
        .join('\n')}\n</ul>`;
    case 'table': {
      const head = `<thead><tr>${b.header.map((h) => `<th>${inline(h)}</th>`).join('')}</tr></thead>`;
      const body = b.rows.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('\n');
      return `<table>\n${head}\n<tbody>\n${body}\n</tbody>\n</table>`;
    }
    case 'code': {
      const language = b.language.replace(/[^\w-]/g, '');
      return `<pre><code${language === '' ? '' : ` class="language-${language}"`}>${escapeHtml(b.text.replace(/\n+$/, ''))}</code></pre>`;
    }
  }
}

/** Inline Markdown (code spans, bold, links) to escaped HTML. */
export function inline(text: string): string {
  const out: string[] = [];
  const spans = /`([^`]*)`/g;
  let at = 0;
  for (const match of text.matchAll(spans)) {
    out.push(prose(text.slice(at, match.index)), `<code>${escapeHtml(match[1] ?? '')}</code>`);
    at = match.index + match[0].length;
  }
  out.push(prose(text.slice(at)));
  return out.join('');
}

/** Text outside code spans: links and bold, everything else escaped. */
function prose(text: string): string {
  const out: string[] = [];
  const marks = /\[([^\]\n]+)\]\(([^)\s]+)\)|\*\*([^*\n]+)\*\*/g;
  let at = 0;
  for (const match of text.matchAll(marks)) {
    out.push(escapeHtml(text.slice(at, match.index)));
    const [whole, label, href, bold] = match;
    if (bold !== undefined) out.push(`<strong>${escapeHtml(bold)}</strong>`);
    else if (label !== undefined && href !== undefined && safeHref(href)) out.push(`<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`);
    else out.push(escapeHtml(whole));
    at = match.index + whole.length;
  }
  out.push(escapeHtml(text.slice(at)));
  return out.join('');
}

function safeHref(href: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(href) || (/^[/#]/.test(href) && !href.startsWith('//'));
}

/** Escapes the five characters that matter in HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}
