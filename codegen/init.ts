/**
 * `pipewright init [name] [--from <example>]`: a starter pipeline.yaml that
 * validates as it is, either a small source → filter → sink pipeline with
 * sample events and a test, or a copy of one of the examples (with the
 * files it needs, such as a model) under a new name.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isPipelineName } from './names.js';
import { readPipelineFiles } from './node-files.js';
import { REPO_ROOT } from './node-assets.js';
import { parsePipeline } from './parse.js';
import { PIPELINE_FORMAT_VERSION } from './pipeline.js';

export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

/** The examples `--from` accepts: each folder of examples/ with a pipeline.yaml. */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES_DIR, d.name, 'pipeline.yaml')))
    .map((d) => d.name)
    .sort();
}

export function starterYaml(name: string): string {
  return `version: ${PIPELINE_FORMAT_VERSION}
pipeline: ${name}
description: A starter pipeline. Open it in the designer, or edit it and run pipewright validate.
errors:
  policy: dead-letter
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
    partitions: 3
    samples:
      - { key: c-1, value: { orderId: 1, amount: 250 } }
      - { key: c-2, value: { orderId: 2, amount: 40 } }
    position: { x: 0, y: 80 }
  - id: large
    kind: filter
    input: orders
    where: value.amount >= 100
    position: { x: 280, y: 80 }
  - id: large-orders
    kind: kafka-sink
    input: large
    topic: large-orders
    position: { x: 560, y: 80 }
tests:
  - name: orders of 100 or more pass
    input:
      orders:
        - { key: c-1, value: { orderId: 1, amount: 250 } }
        - { key: c-2, value: { orderId: 2, amount: 40 } }
    expect:
      large-orders:
        - { key: c-1, value: { orderId: 1, amount: 250 } }
`;
}

export interface InitOptions {
  name?: string;
  from?: string;
  /** The file to write; pipeline.yaml in the current folder by default. */
  file?: string;
}

/** Writes the starter; returns what was written, or an error message for the user. */
export function initPipeline({ name, from, file = 'pipeline.yaml' }: InitOptions): { written: string[] } | { error: string } {
  if (name !== undefined && !isPipelineName(name)) {
    return {
      error: `"${name}" is not a valid pipeline name: use 1 to 40 lowercase letters, digits and "-", starting with a letter and not ending with "-" (e.g. large-orders).`,
    };
  }
  const target = resolve(file);
  if (existsSync(target)) return { error: `${file} already exists; Pipewright does not overwrite it. Remove it, or write elsewhere with -o <file>.` };
  let text: string;
  let extra: Record<string, Uint8Array> = {};
  if (from === undefined) text = starterYaml(name ?? 'my-pipeline');
  else {
    const examples = exampleNames();
    if (!examples.includes(from)) return { error: `There is no example "${from}". Examples: ${examples.join(', ')}.` };
    const source = join(EXAMPLES_DIR, from, 'pipeline.yaml');
    const original = readFileSync(source, 'utf8');
    // Only the name changes, so the example's comments and layout stay as they are (names are [a-z0-9-]).
    text = name !== undefined ? original.replace(/^pipeline:.*$/m, `pipeline: ${name}`) : original;
    const { pipeline } = parsePipeline(text);
    if (!pipeline || (name !== undefined && pipeline.name !== name))
      return { error: `examples/${from}/pipeline.yaml could not be copied under the name "${name}".` };
    // The files the example's nodes name (models) go beside the new pipeline.yaml, as the CLI reads them.
    if (pipeline) extra = readPipelineFiles(source, pipeline);
  }
  const folder = dirname(target);
  const taken = Object.keys(extra).filter((path) => existsSync(join(folder, path)));
  if (taken.length)
    return {
      error: `${taken.map((p) => relative(process.cwd(), join(folder, p))).join(', ')} already exist${taken.length === 1 ? 's' : ''}; Pipewright does not overwrite ${taken.length === 1 ? 'it' : 'them'}.`,
    };
  mkdirSync(folder, { recursive: true });
  // "wx": fail rather than overwrite a file that appeared meanwhile.
  writeFileSync(target, text, { flag: 'wx' });
  const written = [file];
  for (const [path, bytes] of Object.entries(extra)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), bytes, { flag: 'wx' });
    written.push(relative(process.cwd(), join(folder, path)));
  }
  return { written };
}
