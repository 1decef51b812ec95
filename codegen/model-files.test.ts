/**
 * A pipeline's model files through validation, generation, the zip and the
 * CLI: read from beside pipeline.yaml and nowhere else, checked, carried at
 * a fixed path, and named in package.json and the Dockerfile.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { generate, repositoryFilePath, zipFiles } from './generate.js';
import { nodeAssets, REPO_ROOT } from './node-assets.js';
import { readPipelineFiles } from './node-files.js';
import { parsePipeline } from './parse.js';

const EXAMPLE_DIR = join(REPO_ROOT, 'examples/flight-delays');
const TEXT = readFileSync(join(EXAMPLE_DIR, 'pipeline.yaml'), 'utf8');
const ONNX = new Uint8Array(readFileSync(join(EXAMPLE_DIR, 'models/flight-delay.onnx')));
const JSON_MODEL = new Uint8Array(readFileSync(join(EXAMPLE_DIR, 'models/flight-delay.json')));
const dir = mkdtempSync(join(tmpdir(), 'pipewright-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const pipeline = (text = TEXT) => parsePipeline(text).pipeline!;

describe('model files in generation', () => {
  it('carries the model at models/<name>, with onnxruntime-node in package.json and models/ in the image', () => {
    const r = generate(pipeline(), nodeAssets(), { 'models/flight-delay.onnx': ONNX });
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(Object.keys(r.binary ?? {})).toEqual(['models/flight-delay.onnx']);
    expect(r.binary!['models/flight-delay.onnx']).toBe(ONNX);
    expect(JSON.parse(r.files!['package.json']).dependencies).toEqual({ kafkajs: '2.2.4', 'onnxruntime-node': '1.30.0' });
    expect(r.files!.Dockerfile).toMatch(/COPY --chown=1000:1000 models \.\/models/);
    expect(r.files!.Dockerfile).toMatch(/ENV ONNXRUNTIME_NODE_INSTALL=skip/);
    expect(r.files!['.npmrc']).toMatch(/^onnxruntime-node-install=skip$/m);
    const zip = unzipSync(zipFiles(r.files!, r.binary));
    expect(Buffer.from(zip['models/flight-delay.onnx']).equals(Buffer.from(ONNX))).toBe(true);
    expect(zip['package.json']).toBeDefined();
  });

  it('a JSON model needs no npm package', () => {
    const text = TEXT.replace('backend: onnx', 'backend: json').replace('models/flight-delay.onnx', 'flight-delay.json');
    const r = generate(pipeline(text), nodeAssets(), { 'flight-delay.json': JSON_MODEL });
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(JSON.parse(r.files!['package.json']).dependencies).toEqual({ kafkajs: '2.2.4' });
    expect(r.files!.Dockerfile).not.toMatch(/ONNXRUNTIME/);
    expect(r.files!['.npmrc']).toBeUndefined();
    // Placed at a fixed path, and the generated pipeline.yaml and graph point there.
    expect(Object.keys(r.binary!)).toEqual(['models/flight-delay.json']);
    expect(r.files!['pipeline.yaml']).toMatch(/model: models\/flight-delay\.json/);
    expect(r.files!['src/pipeline.ts']).toMatch(/"models\/flight-delay\.json"/);
  });

  it('carries the model of a node that leaves backend to its default (json)', () => {
    const text = TEXT.replace(/^ *backend: onnx\n/m, '').replace('models/flight-delay.onnx', 'flight-delay.json');
    expect(text).not.toMatch(/backend:/);
    const r = generate(pipeline(text), nodeAssets(), { 'flight-delay.json': JSON_MODEL });
    expect(r.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(Object.keys(r.binary ?? {})).toEqual(['models/flight-delay.json']);
    expect(r.files!.Dockerfile).toMatch(/COPY --chown=1000:1000 models \.\/models/);
    expect(r.files!['src/pipeline.ts']).toMatch(/"models\/flight-delay\.json"/);
  });

  it('never lets a file name choose where it lands', () => {
    expect(repositoryFilePath('deep/er/My Model!.onnx')).toBe('models/my-model-.onnx');
    expect(repositoryFilePath('..onnx')).toBe('models/onnx');
  });

  it('refuses two different files that would land on one path', () => {
    const text = TEXT.replace(
      '  - id: summary',
      '  - id: second-model\n    kind: model\n    input: delay-model\n    backend: onnx\n    model: other/flight-delay.onnx\n    inputs: "({ dep_hour: 1, day_of_week: 2, distance: 3, inbound_delay: 4, precipitation: 5 })"\n    score: second\n  - id: summary',
    );
    const r = generate(pipeline(text), nodeAssets(), { 'models/flight-delay.onnx': ONNX, 'other/flight-delay.onnx': ONNX });
    expect(r.files).toBeNull();
    expect(r.problems.map((p) => p.message)).toContain(
      'The files "models/flight-delay.onnx" and "other/flight-delay.onnx" would both become models/flight-delay.onnx in the generated repository.',
    );
    // The inputs are checked against the model too: here only dep_hour is mapped.
    const unmapped = generate(
      pipeline(text.replace('dep_hour: 1, day_of_week: 2, distance: 3, inbound_delay: 4, precipitation: 5', 'dep_hour: 1')),
      nodeAssets(),
      { 'models/flight-delay.onnx': ONNX, 'other/flight-delay.onnx': ONNX },
    );
    expect(unmapped.problems.map((p) => p.message).join('\n')).toMatch(/"day_of_week", .* are not mapped/);
  });

  it('is stopped by a missing or broken model file', () => {
    expect(generate(pipeline(), nodeAssets(), {}).problems.map((p) => p.message)).toContain('The model file "models/flight-delay.onnx" does not exist.');
    const broken = generate(pipeline(), nodeAssets(), { 'models/flight-delay.onnx': JSON_MODEL });
    expect(broken.files).toBeNull();
    expect(broken.problems[0]).toMatchObject({ code: 'PW142', nodeId: 'delay-model', path: ['nodes', 2, 'model'] });
    expect(broken.problems[0].message).toMatch(/cannot be loaded: not an ONNX model/);
  });
});

describe('model files through the CLI', () => {
  const folder = join(dir, 'flights');
  mkdirSync(join(folder, 'models'), { recursive: true });
  writeFileSync(join(folder, 'pipeline.yaml'), TEXT);

  it('reports a missing model file with its line and node', async () => {
    const r = await cli('validate', join(folder, 'pipeline.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/pipeline\.yaml:\d+:\d+: error PW142 \[node delay-model\]: The model file "models\/flight-delay\.onnx" does not exist\./);
  });

  it('reads the model beside the pipeline and writes it into the folder and the zip', async () => {
    copyFileSync(join(EXAMPLE_DIR, 'models/flight-delay.onnx'), join(folder, 'models/flight-delay.onnx'));
    expect((await cli('validate', join(folder, 'pipeline.yaml'))).code).toBe(0);
    const out = join(dir, 'out');
    const r = await cli('generate', join(folder, 'pipeline.yaml'), '-o', out, '--zip', join(dir, 'out.zip'));
    expect(r.err).toBe('');
    expect(readFileSync(join(out, 'models/flight-delay.onnx')).equals(Buffer.from(ONNX))).toBe(true);
    expect(readFileSync(join(out, '.pipewright-files'), 'utf8')).toMatch(/^models\/flight-delay\.onnx$/m);
    expect(Object.keys(unzipSync(new Uint8Array(readFileSync(join(dir, 'out.zip')))))).toContain('models/flight-delay.onnx');
    // A second generation keeps the model (it is not stale).
    const again = await cli('generate', join(folder, 'pipeline.yaml'), '-o', out);
    expect(again.out).not.toMatch(/removed/);
    expect(existsSync(join(out, 'models/flight-delay.onnx'))).toBe(true);
  });

  it('loads ONNX models in onnxruntime at validation, and reports what it cannot run', async () => {
    const broken = Buffer.from(ONNX);
    broken.write('Sigmaid', broken.indexOf('Sigmoid'));
    const folder2 = join(dir, 'broken');
    mkdirSync(join(folder2, 'models'), { recursive: true });
    writeFileSync(join(folder2, 'models/flight-delay.onnx'), broken);
    writeFileSync(join(folder2, 'pipeline.yaml'), TEXT);
    const r = await cli('validate', join(folder2, 'pipeline.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /pipeline\.yaml:\d+:\d+: error PW142 \[node delay-model\]: The model "models\/flight-delay\.onnx" cannot be loaded: onnxruntime cannot load the model: .*Sigmaid/,
    );
  });

  it("does not read files outside the pipeline's folder, through a symbolic link either", async () => {
    const outside = join(dir, 'secret.onnx');
    copyFileSync(join(EXAMPLE_DIR, 'models/flight-delay.onnx'), outside);
    const linked = join(dir, 'linked');
    mkdirSync(join(linked, 'models'), { recursive: true });
    symlinkSync(outside, join(linked, 'models/flight-delay.onnx'));
    writeFileSync(join(linked, 'pipeline.yaml'), TEXT);
    expect(readPipelineFiles(join(linked, 'pipeline.yaml'), pipeline())).toEqual({});
    const escaping = TEXT.replace('models/flight-delay.onnx', '../secret.onnx');
    writeFileSync(join(linked, 'escape.yaml'), escaping);
    expect(readPipelineFiles(join(linked, 'escape.yaml'), pipeline(escaping))).toEqual({});
    const r = await cli('validate', join(linked, 'escape.yaml'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/must stay inside the pipeline's folder/);
  });
});
