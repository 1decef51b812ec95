import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { KINDS } from '../runtime/kinds/registry.js';
import { main } from './cli.js';
import { isBootstrapServers } from './names.js';
import { parsePipeline } from './parse.js';
import { BOOTSTRAP_SERVERS_PATTERN, pipelineSchema, pipelineSchemaJson } from './pipeline-schema.js';

const root = new URL('../', import.meta.url);
const written = readFileSync(new URL('pipeline.schema.json', root), 'utf8');
const examples = readdirSync(new URL('examples/', root), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => `examples/${d.name}/pipeline.yaml`);

/** The written file as an editor's validator sees it: strict ajv, errors collected. */
function fileValidator() {
  const warnings: string[] = [];
  const logger = { log: () => {}, warn: (...a: unknown[]) => warnings.push(a.join(' ')), error: (...a: unknown[]) => warnings.push(a.join(' ')) };
  const validate = new Ajv({ allErrors: true, strict: true, strictNumbers: true, allowUnionTypes: true, logger }).compile(JSON.parse(written) as object);
  return { validate, warnings };
}

describe('pipeline.schema.json', () => {
  it('is the schema Pipewright builds (regenerate with npx pipewright schema -o pipeline.schema.json)', () => {
    expect(written).toBe(pipelineSchemaJson());
  });

  it('is a strict JSON Schema that every example pipeline fits', () => {
    const { validate, warnings } = fileValidator();
    expect(warnings).toEqual([]);
    expect(examples.length).toBeGreaterThan(5);
    for (const file of examples) {
      const doc = parseDocument(readFileSync(new URL(file, root), 'utf8')).toJS() as unknown;
      expect(validate(doc) ? [] : validate.errors, file).toEqual([]);
    }
  });

  it("describes each kind's parameters from its spec: its example fits, an unknown or mistyped parameter does not", () => {
    const { validate } = fileValidator();
    const pipeline = (node: Record<string, unknown>) => ({ pipeline: 'p', nodes: [{ id: 'n', ...node }] });
    for (const kind of KINDS) {
      const node: Record<string, unknown> = { kind: kind.kind, ...kind.example.params };
      expect(validate(pipeline(node)) ? [] : validate.errors, kind.kind).toEqual([]);
      expect(validate(pipeline({ ...node, notAParam: 1 })), kind.kind).toBe(false);
      expect(validate.errors, kind.kind).toContainEqual(
        expect.objectContaining({ keyword: 'additionalProperties', params: { additionalProperty: 'notAParam' } }),
      );
      const required = kind.params.find((p) => p.required);
      if (required) {
        const { [required.name]: _left, ...without } = node;
        expect(validate(pipeline(without)), `${kind.kind} without ${required.name}`).toBe(false);
      }
      const integer = kind.params.find((p) => p.type === 'integer');
      if (integer) expect(validate(pipeline({ ...node, [integer.name]: 'many' })), `${kind.kind}.${integer.name}`).toBe(false);
    }
    const fields = JSON.parse(written) as {
      definitions: unknown;
      properties: { nodes: { items: { allOf: { then: { properties: Record<string, { description?: string }> } }[] } } };
    };
    const filter = fields.properties.nodes.items.allOf[KINDS.findIndex((k) => k.kind === 'filter')].then.properties;
    expect(filter.where.description).toBe(KINDS.find((k) => k.kind === 'filter')!.params.find((p) => p.name === 'where')!.description);
  });

  it('places a wrong field of an example at its line and column, with what to write instead', () => {
    const { validate } = fileValidator();
    const lines = readFileSync(new URL('examples/large-orders/pipeline.yaml', root), 'utf8').split('\n');
    const topic = lines.indexOf('    topic: orders');
    const profile = lines.indexOf('  profile: plaintext');
    expect(topic).toBeGreaterThan(0);
    expect(profile).toBeGreaterThan(0);
    // Planted: a label that is not text in the first node, a misspelt kafka key, and a deploy setting of the wrong type.
    lines[profile] = '  profil: plaintext';
    lines.splice(topic + 1, 0, '    label: [not, text]');
    const planted = lines.join('\n') + 'deploy:\n  replicas: many\n';
    const end = planted.split('\n').length - 1;
    const problems = parsePipeline(planted).problems.filter((p) => p.severity === 'error');
    expect(problems.map((p) => [p.code, p.line, p.column, p.message])).toEqual([
      ['PW003', profile + 1, 11, 'Unknown field "profil" in kafka.'],
      ['PW004', topic + 2, 12, '"label" must be text, not a list.'],
      ['PW004', end, 13, '"deploy.replicas" must be a whole number from 1 to 1000, not the text "many".'],
    ]);
    expect(problems[0].hint).toMatch(/^Remove it, or use one of: profile \(did you mean it\?\), mechanism, /);
    expect(problems[1].hint).toBe('Quote it.');
    // The written schema, as an editor runs it, finds the same three.
    expect(validate(parseDocument(planted).toJS())).toBe(false);
    expect(validate.errors!.map((e) => `${e.instancePath} ${e.keyword}`).sort()).toEqual([
      '/deploy/replicas type',
      '/kafka additionalProperties',
      '/nodes/0/label type',
    ]);
  });

  it('makes an error inside a field without words of its own the problem of the field around it', () => {
    const text = 'pipeline: p\nnodes:\n  - id: a\n    kind: kafka-source\n    topic: t\n    position: { x: left, y: 1 }\n';
    const problems = parsePipeline(text).problems.filter((p) => p.severity === 'error');
    expect(problems.map((p) => [p.code, p.path, p.line, p.column, p.message])).toEqual([
      ['PW004', ['nodes', 0, 'position'], 6, 15, '"position" must be a mapping { x: number, y: number }, not a mapping.'],
    ]);
  });

  it('checks bootstrap servers as names.ts does', () => {
    const pattern = new RegExp(BOOTSTRAP_SERVERS_PATTERN, 'u');
    const cases = [
      'kafka:9092',
      'a.kafka.svc:9092,b.kafka.svc:9092',
      ' a:1 , b:65535 ',
      'a:00080',
      'kafka',
      'kafka:0',
      'kafka:65536',
      'kafka:99999',
      'kafka:123456',
      'a:9092;rm -rf /',
      'a:9092,',
      'http://kafka:9092',
      '-a:1',
      'a-:1',
      'a..b:1',
    ];
    for (const s of cases) expect(pattern.test(s), s).toBe(isBootstrapServers(s));
  });

  it('leaves kind parameters to validation when reading, and checks them in the written file', () => {
    const read = JSON.stringify(pipelineSchema());
    expect(read).not.toContain(KINDS[0].params[0].description);
    expect(written).toContain(KINDS[0].params[0].description);
  });

  it('is what pipewright schema prints, or writes with -o', async () => {
    const run = async (...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      return { code: await main(argv, { log: (x) => out.push(x), err: (x) => err.push(x) }), out: out.join('\n'), err: err.join('\n') };
    };
    expect(await run('schema')).toEqual({ code: 0, out: written.trimEnd(), err: '' });
    const dir = mkdtempSync(join(tmpdir(), 'pipewright-schema-'));
    try {
      const file = join(dir, 'pipeline.schema.json');
      expect((await run('schema', '-o', file)).code).toBe(0);
      expect(readFileSync(file, 'utf8')).toBe(written);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const usage = await run('schema', 'pipeline.yaml');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/schema takes only -o <file>/);
  });
});
