/**
 * The renderers: the HTML fragment escapes everything a loop, a key, an error or a declaration can
 * carry (G21: nothing user-provided is rendered as HTML); the Markdown keeps its structure whatever
 * the texts hold; the options of describeLoops are checked.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError, createMemoryStore, defineLoop, describeLoops, describeLoopsDocument, describeLoopsHtml } from 'rx-reconcile';
import type { Block } from '../../operators/describe/document.js';
import type { DescribableLoop } from '../../operators/describe/loop-facts.js';
import type { DescribeLoopsOptions } from '../../operators/describe/describe-document.js';
import { SimulationScheduler } from 'rx-reconcile/testing';
import { renderHtml } from '../../operators/describe/render-html.js';
import { renderMarkdown } from '../../operators/describe/render-markdown.js';
import { toYaml } from '../../operators/describe/to-yaml.js';

const HOSTILE = '<script>alert(1)</script>';

/** A loop whose name, key, error and declarations are hostile, with a parked key, in virtual time. */
async function hostileLoop<T>(run: (loop: DescribableLoop) => T): Promise<T> {
  const scheduler = new SimulationScheduler();
  const store = createMemoryStore({ scheduler });
  const loop = defineLoop({
    name: `evil${HOSTILE}|x`,
    store,
    scheduler,
    kind: 'Thing',
    describe: {
      owners: `[click](javascript:alert(1)) and <img src=x onerror=alert(1)> "quoted" 'single' & more`,
      conflicts: '[ok](https://example.com/a?b=1&c=2) and [bad](data:text/html,<b>x</b>) and `<code>` **<b>bold</b>**',
      corrections: [{ difference: '</td><td>', action: '```\nfence', guarantee: '| pipe |' }],
    },
    reconcile: () => {
      throw new PermanentError(`failed: ${HOSTILE}`);
    },
  });
  try {
    await scheduler.runUntil(10);
    await store.create('Thing', { metadata: { name: 'k' }, spec: {} });
    await scheduler.runUntil(1000);
    return run(loop);
  } finally {
    const stopped = loop.stop();
    await scheduler.runUntil(2000);
    await stopped;
  }
}

describe('describeLoopsHtml', () => {
  it('escapes loop names, keys, errors and declared texts: no tag, attribute or script from them', async () => {
    const html = await hostileLoop((loop) => describeLoopsHtml([loop], { live: true, adminUrl: '/admin/' }));
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toMatch(/href="(?!https?:|\/|#)/);
    expect(html).not.toContain('javascript:alert(1)"');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<a href="https://example.com/a?b=1&amp;c=2">ok</a>');
    expect(html).toContain('[bad](data:text/html,&lt;b&gt;x&lt;/b&gt;)');
    expect(html).toContain('[click](javascript:alert(1))');
    expect(html).toContain('<a href="/admin/">');
    expect(html).toContain('<code>&lt;code&gt;</code>');
    expect(html).toContain('<td>&lt;/td&gt;&lt;td&gt;</td>');
    // Every tag in the fragment is one the renderer makes.
    const tags = new Set([...html.matchAll(/<\/?([a-z0-9]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(['a', 'code', 'h1', 'h2', 'h3', 'h4', 'input', 'li', 'p', 'pre', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul']);
  });
});

describe('describeLoops (Markdown)', () => {
  it('keeps tables, lists and code blocks whole whatever the texts hold', async () => {
    const markdown = await hostileLoop((loop) => describeLoops([loop], { live: true }));
    // The inventory row has exactly its five cells.
    const row = markdown.split('\n').find((l) => l.startsWith('| `evil'));
    expect(row?.split(/(?<!\\)\|/).length).toBe(7);
    expect(markdown).toContain('| </td><td> | ``` fence | \\| pipe \\| |');
    // The parked key's error is in a code span, cut to one line.
    expect(markdown).toContain('`failed: <script>alert(1)</script>`');
  });

  it('fences a code block with more backticks than it holds, and gives a list after a list the other bullet', () => {
    const blocks: Block[] = [
      { type: 'code', language: 'text', text: 'a ```` b' },
      { type: 'list', items: ['one'] },
      { type: 'checklist', items: [{ checked: true, text: 'two' }] },
      { type: 'list', items: ['three'] },
      { type: 'paragraph', text: 'p' },
      { type: 'list', items: ['four'] },
    ];
    expect(renderMarkdown(blocks)).toBe('`````text\na ```` b\n`````\n\n- one\n\n* [x] two\n\n- three\n\np\n\n- four\n');
    expect(renderHtml([{ type: 'code', language: 'x"><script>', text: '</code><script>' }])).toBe('<pre><code class="language-xscript">&lt;/code&gt;&lt;script&gt;</code></pre>\n');
  });

  it('gives the same blocks as data (describeLoopsDocument), plain JSON', async () => {
    const blocks = await hostileLoop((loop) => describeLoopsDocument([loop], { language: 'zh' }));
    expect(JSON.parse(JSON.stringify(blocks))).toEqual(blocks);
    expect(blocks[0]).toEqual({ type: 'heading', level: 1, text: '闭环设计 (Reconcile Loops)' });
  });

  it('refuses options it cannot use, naming the option', () => {
    const bad = (options: unknown) => () => describeLoops([], options as DescribeLoopsOptions);
    expect(bad({ language: 'fr' })).toThrow(/describeLoops: language must be "en" or "zh"/);
    expect(bad({ lang: 'zh' })).toThrow(/unknown option "lang": did you mean "language"\?/);
    expect(bad({ adminUrl: 'javascript:alert(1)' })).toThrow(/adminUrl must be an http\(s\) URL or an absolute path/);
    expect(bad({ adminUrl: 'http://x/ y' })).toThrow(/adminUrl/);
    expect(bad({ live: 'yes' })).toThrow(/live must be true, false, or a LoopWatch/);
    expect(bad({ checks: [{ loop: 'a', check: 'speed' }] })).toThrow(/checks\.0\.check must be "idempotence" or "convergence"/);
    expect(bad({ title: '' })).toThrow(/title/);
    expect(bad(null)).toThrow(/options must be an object/);
  });

  it('fills the idempotency test table from the kit\'s reports, and says "not run" for the others', async () => {
    const loop = defineLoop({ name: 'apps', store: createMemoryStore(), kind: 'App', reconcile: () => undefined });
    const other = defineLoop({ name: 'other', store: createMemoryStore(), kind: 'Other', reconcile: () => undefined });
    try {
      const markdown = describeLoops([loop, other], {
        checks: [
          { loop: 'apps', check: 'idempotence', report: { numRuns: 50, seed: 42, passes: 300, writes: 120, corrections: 80, faults: 0, slowestConvergence: undefined } },
          { loop: 'apps', check: 'convergence', failure: 'NotConvergentError: the world is {"web":2}, expected {"web":3}\n(seed 42, path "3:1")' },
        ],
      });
      expect(markdown).toContain('| `apps` | a second pass over converged keys | 50 generated cases (seed 42) | settles: 300 passes, 120 store writes, 80 corrections | every key once more | no correction, no store write, world unchanged | passed |');
      expect(markdown).toContain('| **failed**: `NotConvergentError: the world is {"web":2}, expected {"web":3} (seed 42, path "3:1")` |');
      expect(markdown).toMatch(/^\| `other` \| a second pass over converged keys \| .* \| not run \|$/m);
      expect(markdown).toMatch(/^\| `apps` \| .* \| partly \(1\/4\); `checkIdempotent` passed; `checkConvergence` failed \| /m);
    } finally {
      await Promise.all([loop.stop(), other.stop()]);
    }
  });

  it('mentions the admin page in the triggers and the manual intervention path when given', async () => {
    const loop = defineLoop({ name: 'apps', store: createMemoryStore(), kind: 'App', reconcile: () => undefined });
    try {
      const markdown = describeLoops([loop], { adminUrl: 'http://127.0.0.1:9464/' });
      expect(markdown).toContain('; also from the [admin page](http://127.0.0.1:9464/)');
      expect(markdown).toContain('- Admin page: [http://127.0.0.1:9464/](http://127.0.0.1:9464/) shows the parked keys and offers trigger, release, pause and resume (with its token).');
      expect(describeLoops([loop])).toContain('- Admin page: none given to this document (`adminUrl`).');
    } finally {
      await loop.stop();
    }
  });

  it('survives a loop whose live readers throw', () => {
    const loop: DescribableLoop = {
      name: 'broken',
      options: { name: 'broken', kind: 'X', style: 'reconcile', mode: 'store', store: createMemoryStore() },
      usage: () => {
        throw new Error('no');
      },
      snapshot: () => {
        throw new Error('no');
      },
    };
    const markdown = describeLoops([loop], { live: true });
    expect(markdown).toContain('## Reconcile loop 1: `broken`');
    expect(markdown).not.toContain('- **Measured**:');
  });
});

describe('toYaml', () => {
  it('quotes what YAML would read as something else, and keeps plain words plain', () => {
    expect(toYaml({ a: 'yes', b: '1.19', c: 'nginx:1.19', d: 'plain words', e: '', f: 'x\ny', 'a key': 1, n: null, t: true, l: [], o: {}, arr: [{ k: 1, m: [2] }, 'z'] })).toBe(
      ['a: "yes"', 'b: "1.19"', 'c: "nginx:1.19"', 'd: plain words', 'e: ""', 'f: "x\\ny"', '"a key": 1', '"n": null', 't: true', 'l: []', 'o: {}', 'arr:', '  - k: 1', '    m:', '      - 2', '  - z'].join('\n'),
    );
    expect(toYaml('on')).toBe('"on"');
  });
});
