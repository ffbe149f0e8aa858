/**
 * Plain JSON data as YAML text, for the desired-state example of a described loop: block style,
 * keys in their order, strings quoted (as JSON strings, which YAML reads the same) unless they are
 * plainly safe words. Deterministic; no library needed for data this small and this plain.
 *
 * @module
 */

/** `value` (plain JSON data) as YAML lines, without a trailing newline. */
export function toYaml(value: unknown): string {
  return isContainer(value) && !isEmpty(value) ? lines(value, 0).join('\n') : scalar(value);
}

function lines(value: object, indent: number): string[] {
  const pad = ' '.repeat(indent);
  const out: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      if (!isContainer(item) || isEmpty(item)) out.push(`${pad}- ${scalar(item)}`);
      else {
        const inner = lines(item, indent + 2);
        inner[0] = `${pad}- ${(inner[0] ?? '').slice(indent + 2)}`;
        out.push(...inner);
      }
    }
    return out;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    if (!isContainer(item) || isEmpty(item)) out.push(`${pad}${yamlKey(key)}: ${scalar(item)}`);
    else out.push(`${pad}${yamlKey(key)}:`, ...lines(item, indent + 2));
  }
  return out;
}

function isContainer(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isEmpty(value: object): boolean {
  return Array.isArray(value) ? value.length === 0 : Object.keys(value).length === 0;
}

const KEYWORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function scalar(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return plain(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return '[]';
  if (typeof value === 'object') return '{}';
  return JSON.stringify(String(value));
}

function plain(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9 ._/@-]*$/.test(text) && !text.endsWith(' ') && !KEYWORDS.test(text);
}

function yamlKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) && !KEYWORDS.test(key) ? key : JSON.stringify(key);
}
