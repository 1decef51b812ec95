/**
 * The examples gallery reads every examples/<name>/pipeline.yaml, bundled
 * as text, so the designer lists exactly what the repository ships.
 */
const files = import.meta.glob(['../examples/*/pipeline.yaml'], { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface Example {
  slug: string;
  text: string;
}

export const EXAMPLES: readonly Example[] = Object.keys(files)
  .sort()
  .map((path) => ({ slug: path.split('/')[2], text: files[path] }));
