/** The node-kind reference, rendered from the registry: nothing here restates a spec. */
import type { KindSpec } from '../runtime/kinds/spec.js';

const CATEGORY_TITLES: Record<KindSpec['category'], string> = {
  source: 'Sources',
  transform: 'Transforms',
  model: 'Model steps',
  sink: 'Sinks',
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function kindsMarkdown(kinds: readonly KindSpec[]): string {
  const out = [
    '# Node kinds',
    '',
    'Generated from the catalog in `runtime/kinds/` by `npx pipewright docs`. Every node also has an',
    '`error` output port: records that fail go there when it is wired, and otherwise follow the',
    "pipeline's error policy (dead-letter topic by default).",
  ];
  for (const category of Object.keys(CATEGORY_TITLES) as KindSpec['category'][]) {
    const list = kinds.filter((k) => k.category === category);
    if (list.length === 0) continue;
    out.push('', `## ${CATEGORY_TITLES[category]}`);
    for (const k of list) {
      out.push('', `### \`${k.kind}\`: ${k.title}`, '', k.summary, '', k.docs, '');
      out.push(
        `Inputs: ${k.inputs.length ? k.inputs.map((p) => `\`${p}\``).join(', ') : 'none'}. Outputs: ${[...k.outputs, 'error'].map((p) => `\`${p}\``).join(', ')}.`,
      );
      if (k.params.length) {
        out.push('', '| parameter | type | default | description |', '| --- | --- | --- | --- |');
        for (const p of k.params) {
          const type = p.type === 'enum' ? p.enum!.map((e) => `\`${e}\``).join(' \\| ') : p.type;
          const def = p.required ? 'required' : p.default === undefined ? '' : `\`${String(p.default)}\``;
          out.push(`| \`${p.name}\` | ${type} | ${def} | ${cell(p.description)} |`);
        }
      }
      out.push('', 'Example:', '', '```yaml', `- id: my-${k.kind}`, `  kind: ${k.kind}`);
      for (const [name, value] of Object.entries(k.example.params)) out.push(`  ${name}: ${JSON.stringify(value)}`);
      out.push('```');
    }
  }
  return out.join('\n') + '\n';
}
