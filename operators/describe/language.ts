/**
 * The two languages of a described document and the few formatters every section shares: a sentence
 * given in both languages, durations, percentages and lists, each printed the way the language reads.
 *
 * @module
 */
import type { Language } from './loop-docs.js';

export type { Language } from './loop-docs.js';

/** A sentence in both languages. */
export interface Bilingual {
  readonly en: string;
  readonly zh: string;
}

/** The formatters of one language. */
export interface Phrasebook {
  readonly language: Language;
  /** The sentence in this language. */
  t(text: Bilingual): string;
  /** `1500` → `1.5 s` / `1.5 秒`. */
  duration(ms: number): string;
  /** `0.25` → `25 %`. */
  percent(ratio: number): string;
  /** `['a', 'b', 'c']` → `a, b, c` / `a、b、c`. */
  join(items: readonly string[]): string;
  /** End of a sentence that goes on: `; ` / `；`. */
  readonly semicolon: string;
  /** Between a label and its text: `: ` / `：`. */
  readonly colon: string;
}

const UNITS: Record<Language, readonly [string, string, string, string, string]> = {
  en: ['ms', 's', 'min', 'h', 'd'],
  zh: ['毫秒', '秒', '分钟', '小时', '天'],
};

/** The phrasebook of `language`. */
export function phrasebook(language: Language): Phrasebook {
  const [msUnit, s, min, h, d] = UNITS[language];
  const round = (n: number): string => String(Math.round(n * 100) / 100);
  return {
    language,
    t: (text) => text[language],
    duration(ms) {
      if (!Number.isFinite(ms)) return String(ms);
      if (ms < 1000) return `${round(ms)} ${msUnit}`;
      if (ms < 60_000) return `${round(ms / 1000)} ${s}`;
      if (ms < 3_600_000) return `${round(ms / 60_000)} ${min}`;
      if (ms < 86_400_000) return `${round(ms / 3_600_000)} ${h}`;
      return `${round(ms / 86_400_000)} ${d}`;
    },
    percent: (ratio) => `${round(ratio * 100)} %`,
    join: (items) => items.join(language === 'zh' ? '、' : ', '),
    semicolon: language === 'zh' ? '；' : '; ',
    colon: language === 'zh' ? '：' : ': ',
  };
}
