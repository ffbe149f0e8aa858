/**
 * The desired-state source of one loop: where the desired state lives and how the loop reads it, who
 * may change it (declared, or "not declared"), and a desired-state example — the declared one, or
 * one generated from the loop's zod schema, always checked against that schema.
 *
 * @module
 */
import { code, codeSpan, heading, list, paragraph } from './document.js';
import type { Block } from './document.js';
import type { DescribeContext } from './describe-context.js';
import { notDeclared } from './describe-context.js';
import { HEADINGS } from './headings.js';
import { textIn } from './loop-docs.js';
import type { LoopFacts } from './loop-facts.js';
import { exampleFromSchema } from './schema-example.js';
import { toYaml } from './to-yaml.js';

/** The "Desired-state source" section of one loop. */
export function sourceSection(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const items: string[] = [];
  if (f.mode === 'streams') {
    items.push(
      say.t({
        en: 'Where: the `desired$` stream (keyed snapshots or changes); a pass reads the latest value of its key with `ctx.desired()` (undefined: not desired, make the world absent).',
        zh: '位置：`desired$` 流（按 key 的快照或变更）；一次协调用 `ctx.desired()` 读取其 key 的最新值（undefined 表示不再期望，应让外部世界中的它消失）。',
      }),
    );
  } else {
    const kind = codeSpan(f.kind ?? '?');
    const p = f.conditionPrefix;
    items.push(
      say.t({
        en: `Where: resources of kind ${kind} in the loop's store (get, list, watch); a pass reads its key once, at its start (\`ctx.get()\`).`,
        zh: `位置：闭环所用存储中的 ${kind} 资源（get、list、watch）；每次协调在开始时读取一次自己的 key（\`ctx.get()\`）。`,
      }),
    );
    items.push(
      f.schema !== undefined
        ? say.t({
            en: `Checked: each spec must pass the loop's \`schema\`; a spec that fails is not reconciled, gets \`${p}Degraded=True\` (\`InvalidSpec\`, naming the field) and no retries until it changes.`,
            zh: `校验：每个 spec 必须通过闭环的 \`schema\`；不通过的 spec 不会被协调，状态置为 \`${p}Degraded=True\`（\`InvalidSpec\`，指明字段），在其改变前不再重试。`,
          })
        : say.t({
            en: 'Checked: by the store only, when it has a schema for the kind (the loop has no `schema`).',
            zh: '校验：仅由存储在该类型有 schema 时校验（闭环未设置 `schema`）。',
          }),
    );
    items.push(
      f.conditions
        ? say.t({
            en: `Written back: \`${p}Ready\` / \`${p}Progressing\` / \`${p}Degraded\` conditions and \`observedGeneration\` after every pass, only when they change.`,
            zh: `回写：每次协调后写入 \`${p}Ready\` / \`${p}Progressing\` / \`${p}Degraded\` 条件和 \`observedGeneration\`，仅在变化时写入。`,
          })
        : say.t({ en: 'Written back: status is left to the loop (`conditions: false`).', zh: '回写：状态由闭环自行处理（`conditions: false`）。' }),
    );
  }
  const owners = f.docs.owners;
  const ownerTexts = owners === undefined ? [] : (Array.isArray(owners) ? owners : [owners]).map((o) => textIn(o, say.language) ?? '');
  items.push(
    `${say.t({ en: 'Who may change it', zh: '谁可以修改' })}${say.colon}${ownerTexts.length > 0 ? say.join(ownerTexts) : notDeclared(ctx, 'owners')}`,
  );
  return [heading(3, say.t(HEADINGS.source)), list(items), ...exampleBlocks(ctx, f)];
}

function exampleBlocks(ctx: DescribeContext, f: LoopFacts): Block[] {
  const { say } = ctx;
  const declared = 'example' in f.docs ? f.docs.example : undefined;
  let spec: unknown;
  let note: string;
  const warnings: Block[] = [];
  if (declared !== undefined) {
    spec = declared;
    note = say.t({ en: 'declared (`describe.example`)', zh: '已声明（`describe.example`）' });
    if (f.schema !== undefined) {
      const result = safeParse(f.schema, declared);
      if (result === undefined) note += say.t({ en: ', passes the `schema`', zh: '，通过 `schema` 校验' });
      else {
        note += say.t({ en: ', fails the `schema`', zh: '，未通过 `schema` 校验' });
        warnings.push(paragraph(say.t({ en: `**The declared example fails the loop's \`schema\`**: ${codeSpan(result)}.`, zh: `**声明的示例未通过闭环的 \`schema\` 校验**：${codeSpan(result)}。` })));
      }
    }
  } else if (f.schema !== undefined) {
    const generated = exampleFromSchema(f.schema);
    if (!generated.ok) {
      const why =
        generated.reason === 'not-zod'
          ? say.t({ en: 'the `schema` is not a zod schema', zh: '`schema` 不是 zod schema' })
          : say.t({ en: `no valid example could be generated from the \`schema\`${generated.detail === undefined ? '' : ` (${generated.detail})`}`, zh: `无法从 \`schema\` 生成有效示例${generated.detail === undefined ? '' : `（${generated.detail}）`}` });
      return [paragraph(say.t({ en: `Desired-state example: none — ${why}; declare one in \`describe.example\`.`, zh: `期望状态示例：无——${why}；请在 \`describe.example\` 中声明。` }))];
    }
    spec = generated.value;
    note = say.t({ en: 'generated from the `schema`, and passes it', zh: '由 `schema` 生成，并通过其校验' });
  } else {
    return [
      paragraph(
        say.t({
          en: 'Desired-state example: none — the loop has no `schema` to generate one from; give it one (or a typed kind from `defineKind`), or declare `describe.example`.',
          zh: '期望状态示例：无——闭环没有可用于生成示例的 `schema`；请设置 `schema`（或使用 `defineKind` 的类型化 kind），或声明 `describe.example`。',
        }),
      ),
    ];
  }
  const comment = say.t({ en: `# desired-state example: ${note.replace(/`/g, '')}`, zh: `# 期望状态示例：${note.replace(/`/g, '')}` });
  const document = f.mode === 'store' ? { kind: f.kind, metadata: { name: 'example' }, spec } : { key: 'example', desired: spec };
  return [...warnings, code('yaml', `${comment}\n${toYaml(document)}`)];
}

/** The first issue of `schema` on `value`, as `path: message`; undefined when it passes. */
function safeParse(schema: NonNullable<LoopFacts['schema']>, value: unknown): string | undefined {
  try {
    const result = schema.safeParse(value);
    if (result.success) return undefined;
    const issue = result.error.issues[0];
    return issue === undefined ? 'invalid' : `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
