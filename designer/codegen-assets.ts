/**
 * The files the generator copies or renders, bundled into the designer so
 * that preview and export run the very `generate` the CLI runs, on the same
 * inputs: the runtime's sources (vendored into every generated repository)
 * the templates, and Pipewright's package-lock.json (the generated repository's lock is cut from
 * it). Vite inlines them at build time as text.
 */
import lockfile from '../package-lock.json?raw';

/** Strip the folder prefix Vite gives glob keys ("../runtime/kinds/map.ts" → "kinds/map.ts"). */
export function relativeTo(prefix: string, files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(files).sort()) out[key.slice(prefix.length)] = files[key];
  return out;
}

// The same selection the CLI reads from disk (codegen/node-assets.ts): runtime
// sources without tests, and the .hbs templates. `exhaustive` includes dot
// folders, as the CLI's directory walk does.
const runtimeFiles = import.meta.glob<string>(['../runtime/**/*.ts', '!../runtime/**/*.test.ts'], {
  query: '?raw',
  import: 'default',
  eager: true,
  exhaustive: true,
});

const templateFiles = import.meta.glob<string>(['../templates/**/*.hbs'], {
  query: '?raw',
  import: 'default',
  eager: true,
  exhaustive: true,
});

export const codegenAssets = {
  runtime: relativeTo('../runtime/', runtimeFiles),
  templates: relativeTo('../templates/', templateFiles),
  lockfile,
};
