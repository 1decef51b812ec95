/**
 * The examples gallery reads every examples/<name>/pipeline.yaml, bundled
 * as text, so the designer lists exactly what the repository ships.
 */
import type { Pipeline } from '../codegen/pipeline.js';
import { getKind } from '../runtime/kinds/registry.js';
import { withDefaults, type PipelineFiles } from '../runtime/kinds/spec.js';

const files = import.meta.glob<string>(['../examples/*/pipeline.yaml'], { query: '?raw', import: 'default', eager: true });

export interface Example {
  slug: string;
  text: string;
}

export const EXAMPLES: readonly Example[] = Object.keys(files)
  .sort()
  .map((path) => ({ slug: path.split('/')[2], text: files[path] }));

// Files the examples' pipelines name (models), as URLs of assets the build emits; fetched when an example opens.
const fileUrls = import.meta.glob<string>(['../examples/*/models/**/*'], { query: '?url', import: 'default', eager: true });

/** The files of an example that its nodes name (kind.files), read from the bundled assets. */
export async function exampleFiles(example: Example, pipeline: Pipeline): Promise<PipelineFiles> {
  const out: PipelineFiles = {};
  for (const n of pipeline.nodes) {
    const kind = getKind(n.kind);
    for (const path of kind?.files ? kind.files(withDefaults(kind, n.params)) : []) {
      const url = fileUrls[`../examples/${example.slug}/${path}`];
      if (!url || path in out) continue;
      const res = await fetch(url);
      if (res.ok) out[path] = new Uint8Array(await res.arrayBuffer());
    }
  }
  return out;
}
