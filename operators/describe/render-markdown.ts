/**
 * Prints a described document as Markdown (GitHub-flavoured: tables and task lists), deterministic
 * for a given document. Texts are inline Markdown already; what would break the block they sit in is
 * neutralised: line breaks inside a list item or table cell become spaces, `|` in a cell is escaped,
 * and a code block's fence is longer than any run of backticks inside it.
 *
 * @module
 */
import type { Block, DescribedDocument } from './document.js';

/** The document as Markdown, ending with one newline. */
export function renderMarkdown(document: DescribedDocument): string {
  const out: string[] = [];
  let previous: Block | undefined;
  let bullet: '-' | '*' = '-';
  for (const b of document) {
    // A list right after a list would join it: the next one gets the other bullet.
    const isList = b.type === 'list' || b.type === 'checklist';
    bullet = isList && (previous?.type === 'list' || previous?.type === 'checklist') && bullet === '-' ? '*' : '-';
    out.push(block(b, bullet));
    previous = b;
  }
  return `${out.join('\n\n')}\n`;
}

function block(b: Block, bullet: '-' | '*'): string {
  switch (b.type) {
    case 'heading':
      return `${'#'.repeat(b.level)} ${oneLine(b.text)}`;
    case 'paragraph':
      return b.text.replace(/\r\n?/g, '\n').replace(/\n{2,}/g, '\n');
    case 'list':
      return b.items.map((item) => `${bullet} ${oneLine(item)}`).join('\n');
    case 'checklist':
      return b.items.map((item) => `${bullet} [${item.checked ? 'x' : ' '}] ${oneLine(item.text)}`).join('\n');
    case 'table':
      return [row(b.header), `|${b.header.map(() => '---').join('|')}|`, ...b.rows.map(row)].join('\n');
    case 'code': {
      const longest = Math.max(0, ...[...b.text.matchAll(/`+/g)].map((m) => m[0].length));
      const fence = '`'.repeat(Math.max(3, longest + 1));
      return `${fence}${b.language.replace(/[^\w-]/g, '')}\n${b.text.replace(/\n+$/, '')}\n${fence}`;
    }
  }
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

/** Escapes what would break a table cell: every `|` gets a backslash, so none ends the cell. */
function cell(text: string): string {
  return oneLine(text).replace(/\|/g, '\\|');
}
