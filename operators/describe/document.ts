/**
 * The document model of `describeLoops`: a list of blocks (headings, paragraphs, lists, checklists,
 * tables, code) whose texts are Markdown inline text (code spans, `**bold**`, `[text](url)` links).
 * Sections build blocks; `renderMarkdown` and `renderHtml` print them. Plain data: it can be sent as
 * JSON to a page that renders it with `textContent` only.
 *
 * @module
 */

/** One block of a described document. */
export type Block =
  | { readonly type: 'heading'; readonly level: 1 | 2 | 3 | 4; readonly text: string }
  | { readonly type: 'paragraph'; readonly text: string }
  | { readonly type: 'list'; readonly items: readonly string[] }
  | { readonly type: 'checklist'; readonly items: readonly ChecklistItem[] }
  | { readonly type: 'table'; readonly header: readonly string[]; readonly rows: readonly (readonly string[])[] }
  | { readonly type: 'code'; readonly language: string; readonly text: string };

/** One item of a checklist: checked or not, and why. */
export interface ChecklistItem {
  readonly checked: boolean;
  readonly text: string;
}

/** A described document: its blocks in order. */
export type DescribedDocument = readonly Block[];

export const heading = (level: 1 | 2 | 3 | 4, text: string): Block => ({ type: 'heading', level, text });
export const paragraph = (text: string): Block => ({ type: 'paragraph', text });
export const list = (items: readonly string[]): Block => ({ type: 'list', items });
export const checklist = (items: readonly ChecklistItem[]): Block => ({ type: 'checklist', items });
export const table = (header: readonly string[], rows: readonly (readonly string[])[]): Block => ({ type: 'table', header, rows });
export const code = (language: string, text: string): Block => ({ type: 'code', language, text });

/** `text` as a Markdown code span (a backtick inside becomes `'`, so the span cannot be broken). */
export function codeSpan(text: string): string {
  return `\`${text.replace(/`/g, "'").replace(/\r?\n/g, ' ')}\``;
}
