/**
 * Adversarial pipelines. What Pipewright promises for bad input (README, "The CLI"): never a crash,
 * never an injection, never a path outside the output folder; the output
 * always compiles, or the pipeline is rejected with a clear message.
 *
 * Every case ends in one of two ways, and both are checked:
 * - rejected: every error has a code, a message, a hint, a line and a column;
 * - accepted: the generated files sit at fixed paths, every user string in
 *   them reads back exactly (YAML parsed, TypeScript literals evaluated from
 *   the syntax tree, shell words checked by `sh -n`), the code has the shape
 *   the generator means it to have (so nothing was injected), and it
 *   type-checks.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import Ajv from 'ajv';
import { unzipSync } from 'fflate';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import type { Problem } from './errors.js';
import { checkExpression } from './expression.js';
import { generate, zipFiles, type FileMap } from './generate.js';
import { nodeAssets, REPO_ROOT } from './node-assets.js';
import { typecheckInNode } from './node-typecheck.js';
import { parsePipeline } from './parse.js';
import { TEMPLATES } from './templates.js';
import { DASHBOARD_PATH } from './monitoring.js';
import { monitoringOf, type Pipeline } from './pipeline.js';
import { getKind } from '../runtime/kinds/registry.js';
import { mulberry32 as rng } from '../runtime/random.js';

type Obj = Record<string, unknown>;

type Any = any;

const assets = nodeAssets();
const tmp = mkdtempSync(join(tmpdir(), 'pipewright-adversarial-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// ---------------------------------------------------------------------------------------------
// A small pipeline to put hostile values into
// ---------------------------------------------------------------------------------------------

function basePipeline(): Any {
  return {
    version: 1,
    pipeline: 'hostile',
    description: 'A pipeline to attack.',
    kafka: { profile: 'plaintext', mechanism: 'scram-sha-512', replicationFactor: 3 },
    errors: { policy: 'dead-letter' },
    // Monitoring on: every hostile string also passes through the alerts and the dashboard.
    deploy: { monitoring: true },
    nodes: [
      {
        id: 'orders',
        kind: 'kafka-source',
        topic: 'orders',
        partitions: 3,
        samples: [
          { key: 'c-1', value: { amount: 250, note: 'first' } },
          { key: 'c-2', value: { amount: 40, note: 'second' } },
        ],
      },
      { id: 'big', kind: 'filter', input: 'orders', where: 'value.amount >= 100' },
      { id: 'shape', kind: 'map', input: 'big', to: '({ amount: value.amount, note: value.note })' },
      { id: 'out', kind: 'kafka-sink', input: 'shape', topic: 'big-orders', key: 'key' },
    ],
    tests: [
      {
        name: 'big orders pass',
        input: { orders: [{ key: 'c-1', value: { amount: 250, note: 'first' } }] },
        expect: { out: [{ key: 'c-1', value: { amount: 250, note: 'first' } }] },
      },
    ],
  };
}

const ALLOWED_PATHS = new Set([
  ...Object.keys(TEMPLATES),
  'pipeline.yaml',
  'src/pipeline.ts',
  'src/types.gen.ts',
  DASHBOARD_PATH,
  'package-lock.json',
  'db/schema.sql',
  ...Object.keys(assets.runtime).map((p) => `src/runtime/${p}`),
]);

function generateOk(text: string): { pipeline: Pipeline; files: FileMap } {
  const { pipeline, problems } = parsePipeline(text);
  expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
  const result = generate(pipeline!, assets);
  return { pipeline: pipeline!, files: result.files! };
}

const BASELINE = generateOk(stringify(basePipeline()));

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

function expectClearProblem(p: Problem, text: string): void {
  const where = `${p.code} ${p.message} (${text.length > 200 ? text.slice(0, 200) + '…' : text})`;
  expect(p.code, where).toMatch(/^PW\d{3}$/);
  expect(p.message.trim().length, where).toBeGreaterThan(10);
  expect(p.hint.trim().length, where).toBeGreaterThan(5);
  expect(Number.isInteger(p.line) && p.line! >= 1, `${where}: line`).toBe(true);
  expect(Number.isInteger(p.column) && p.column! >= 1, `${where}: column`).toBe(true);
}

/** Parses without throwing; when there are errors, each one is a clear problem. */
function parseSafely(text: string): { pipeline: Pipeline | null; errors: Problem[] } {
  let result: ReturnType<typeof parsePipeline>;
  expect(() => (result = parsePipeline(text)), 'parsePipeline throws').not.toThrow();
  const errors = result!.problems.filter((p) => p.severity === 'error');
  for (const p of result!.problems) expectClearProblem(p, text);
  if (!result!.pipeline) expect(errors.length, 'no pipeline, yet no error').toBeGreaterThan(0);
  return { pipeline: result!.pipeline, errors };
}

function syntaxErrors(sf: ts.SourceFile): string[] {
  return ((sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '));
}

function sourceFile(path: string, text: string): ts.SourceFile {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  expect(syntaxErrors(sf), `${path} parses`).toEqual([]);
  return sf;
}

/**
 * The value of a TypeScript literal, read from its syntax tree rather than
 * run: anything but plain data (a call, a template, a spread, a getter) is an
 * injection and throws. So does a plain "__proto__" property name, which in
 * JavaScript sets the prototype instead of making a field.
 */
function literal(node: ts.Expression): unknown {
  if (ts.isParenthesizedExpression(node)) return literal(node.expression);
  if (ts.isStringLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(node.operand)) return -Number(node.operand.text);
  if (ts.isArrayLiteralExpression(node)) return node.elements.map(literal);
  if (ts.isObjectLiteralExpression(node)) {
    const o: Obj = {};
    for (const prop of node.properties) {
      if (!ts.isPropertyAssignment(prop)) throw new Error(`not a plain property: ${prop.getText().slice(0, 80)}`);
      let key: string;
      if (ts.isComputedPropertyName(prop.name)) {
        const k = literal(prop.name.expression);
        if (typeof k !== 'string') throw new Error('computed key that is not a string');
        key = k;
      } else if (ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name) || ts.isNumericLiteral(prop.name)) {
        key = prop.name.text;
        if (key === '__proto__') throw new Error('a plain "__proto__" property sets the prototype: the field is lost');
      } else throw new Error(`unexpected property name ${prop.name.getText()}`);
      Object.defineProperty(o, key, { value: literal(prop.initializer), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  throw new Error(`not a literal: ${ts.SyntaxKind[node.kind]} ${node.getText().slice(0, 80)}`);
}

function variables(sf: ts.SourceFile): Map<string, ts.VariableDeclaration> {
  const out = new Map<string, ts.VariableDeclaration>();
  for (const s of sf.statements)
    if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) out.set(d.name.text, d);
  return out;
}

/** JSON data as generated code can hold it. */
const asJson = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

const sources = (p: Pipeline) => p.nodes.filter((n) => getKind(n.kind)?.category === 'source');

/** Generated files with no user input at all: byte for byte what any pipeline gets. */
const FIXED_FILES = ['src/main.ts', 'src/topics.ts', 'tsconfig.json', '.gitignore', '.dockerignore', 'Dockerfile'];

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const strimziSchema = JSON.parse(readFileSync(join(REPO_ROOT, 'test/schemas/strimzi-kafkatopic-v1.schema.json'), 'utf8')) as object;
const validateKafkaTopic = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(strimziSchema);

function shellWords(script: string, flag: string): string[] {
  const re = new RegExp(`${flag} '((?:[^']|'"'"')*)'`, 'g');
  return [...script.matchAll(re)].map((m) => m[1].replace(/'"'"'/g, "'"));
}

let shCount = 0;
function shSyntaxOk(script: string): void {
  const file = join(tmp, `script-${shCount++}.sh`);
  writeFileSync(file, script);
  expect(() => execFileSync('sh', ['-n', file], { stdio: 'pipe' })).not.toThrow();
}

/** (a) fixed paths, (b) every user string reads back exactly and injects nothing. */
function checkGenerated(p: Pipeline, files: FileMap): void {
  // (a) Paths come from the template registry and the runtime's own file list, never from the pipeline.
  for (const path of Object.keys(files)) {
    expect(ALLOWED_PATHS.has(path), `unexpected path ${JSON.stringify(path)}`).toBe(true);
    expect(path.split('/').includes('..') || path.startsWith('/') || path.includes('\\') || path.includes('\0')).toBe(false);
  }
  // The baseline has monitoring on; a pipeline without it has the same files but k8s/monitoring/.
  expect(Object.keys(files).sort()).toEqual(
    Object.keys(BASELINE.files)
      .filter((f) => monitoringOf(p) !== undefined || !f.startsWith('k8s/monitoring/'))
      .sort(),
  );
  for (const f of FIXED_FILES) expect(files[f], f).toBe(BASELINE.files[f]);
  expect(JSON.parse(files['package.json']).name).toBe(p.name);

  // (b) YAML: every file parses, and pipeline.yaml gives the same pipeline back.
  for (const path of Object.keys(files).filter((f) => /\.ya?ml$/.test(f))) {
    for (const d of parseAllDocuments(files[path]) as Any[])
      expect(
        d.errors.map((e: Error) => e.message),
        path,
      ).toEqual([]);
  }
  // The dashboard is JSON that carries the description exactly.
  if (files[DASHBOARD_PATH] !== undefined)
    expect(JSON.parse(files[DASHBOARD_PATH]).description).toBe(p.description ?? `The ${p.name} pipeline, generated by Pipewright.`);
  const again = parsePipeline(files['pipeline.yaml']);
  expect(again.problems.filter((x) => x.severity === 'error')).toEqual([]);
  expect(again.pipeline).toEqual(p);
  for (const path of Object.keys(files).filter((f) => f.startsWith('k8s/'))) {
    for (const d of parseAllDocuments(files[path]) as Any[]) {
      const o = d.toJS();
      if (o?.metadata) expect(o.metadata.name, `${path} metadata.name`).toMatch(DNS_SUBDOMAIN);
    }
  }
  const kafkaTopics = parseAllDocuments(files['topics/strimzi-topics.yaml'])
    .map((d: Any) => d.toJS())
    .filter(Boolean);
  for (const t of kafkaTopics)
    expect(validateKafkaTopic(t), `KafkaTopic ${JSON.stringify(t.metadata)}: ${JSON.stringify(validateKafkaTopic.errors)}`).toBe(true);
  // Topics the pipeline only reads are someone else's: neither declared nor created.
  const listed = parseYaml(files['topics/topics.yaml']).topics as { name: string; external?: boolean }[];
  const allTopicNames = listed.map((t) => t.name);
  const topicNames = listed.filter((t) => !t.external).map((t) => t.name);
  expect(kafkaTopics.map((t: Any) => t.spec.topicName)).toEqual(topicNames);
  expect(new Set(kafkaTopics.map((t: Any) => t.metadata.name)).size).toBe(topicNames.length);

  // Shell: syntax, and each topic reaches kafka-topics.sh as exactly one word.
  shSyntaxOk(files['topics/create-topics.sh']);
  expect(shellWords(files['topics/create-topics.sh'], '--topic')).toEqual(topicNames);

  // TypeScript: src/pipeline.ts has exactly the shape the generator means.
  const pipelineTs = sourceFile('src/pipeline.ts', files['src/pipeline.ts']);
  const expressions = p.nodes.flatMap((n) =>
    (getKind(n.kind)?.params ?? [])
      .filter((s) => s.type === 'expression' && n.params[s.name] !== undefined && String(n.params[s.name]).trim() !== '')
      // The generator writes the expression's lines with "\n" whatever line ends they had.
      .map((s) => ({
        fn: `${n.id.replace(/-/g, '_')}__${s.name}`,
        text: checkExpression(String(n.params[s.name]))
          .text.split(/\r\n|\r|\n/)
          .join('\n'),
      })),
  );
  const fns = new Map<string, ts.FunctionDeclaration>();
  const allowedVariables = ['graph', 'fns', 'topics', 'fromBeginning'];
  for (const s of pipelineTs.statements) {
    if (ts.isFunctionDeclaration(s)) fns.set(s.name!.text, s);
    else if (ts.isVariableStatement(s)) for (const d of s.declarationList.declarations) expect(allowedVariables).toContain((d.name as ts.Identifier).text);
    else if (ts.isTypeAliasDeclaration(s)) expect(s.name.text).toMatch(/^[A-Z][A-Za-z0-9_]*Event$/);
    else
      expect(ts.isImportDeclaration(s) || ts.isExportDeclaration(s), `unexpected statement ${ts.SyntaxKind[s.kind]}: ${s.getText().slice(0, 120)}`).toBe(true);
  }
  expect([...fns.keys()].sort()).toEqual(expressions.map((e) => e.fn).sort());
  for (const e of expressions) {
    // One return of one parenthesized expression: the user's text, exactly, and nothing else.
    const body = fns.get(e.fn)!.body!.statements;
    expect(body).toHaveLength(1);
    const ret = body[0];
    expect(ts.isReturnStatement(ret) && ret.expression !== undefined && ts.isParenthesizedExpression(ret.expression)).toBe(true);
    const inner = ((ret as ts.ReturnStatement).expression as ts.ParenthesizedExpression).expression;
    expect(inner.getText(pipelineTs)).toBe(e.text);
  }
  const vars = variables(pipelineTs);
  const graph = literal(vars.get('graph')!.initializer!) as Any;
  expect(graph.pipeline).toBe(p.name);
  expect(graph.nodes.map((n: Any) => n.id)).toEqual(p.nodes.map((n) => n.id));
  expect((literal(vars.get('topics')!.initializer!) as Any[]).map((t) => t.name)).toEqual(allTopicNames);

  // src/types.gen.ts: type aliases only; every field of every sample is a property name, spelt exactly.
  const typesTs = sourceFile('src/types.gen.ts', files['src/types.gen.ts']);
  const aliases = typesTs.statements.map((s) => (ts.isTypeAliasDeclaration(s) ? s.name.text : `not a type alias: ${s.getText().slice(0, 80)}`));
  expect(new Set(aliases).size, `duplicate type names in ${JSON.stringify(aliases)}`).toBe(aliases.length);
  const properties = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isPropertySignature(n)) properties.add(ts.isIdentifier(n.name) || ts.isStringLiteral(n.name) ? n.name.text : `?${n.name.getText()}`);
    ts.forEachChild(n, visit);
  };
  visit(typesTs);
  const fields = new Set<string>();
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(collect);
    else if (v !== null && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        fields.add(k);
        collect(x);
      }
  };
  for (const n of sources(p)) if ((n.params.format ?? 'json') === 'json') for (const s of n.samples ?? []) collect(s.value);
  for (const f of fields) expect(properties.has(f), `field ${JSON.stringify(f.slice(0, 80))} in types.gen.ts`).toBe(true);

  // test/pipeline.test.ts: the same file as always, but for two data literals that read back exactly.
  const testTs = sourceFile('test/pipeline.test.ts', files['test/pipeline.test.ts']);
  const testVars = variables(testTs);
  const cases = literal(testVars.get('cases')!.initializer!) as Any[];
  const samples = literal(testVars.get('samples')!.initializer!) as Any[];
  expect(cases.map((c) => c.name)).toEqual(p.tests.map((t) => t.name));
  expect(cases.flatMap((c) => c.input.flatMap((i: Any) => i.events))).toEqual(asJson(p.tests.flatMap((t) => Object.values(t.input).flat())));
  expect(cases.flatMap((c) => c.expect.flatMap((i: Any) => i.events))).toEqual(asJson(p.tests.flatMap((t) => Object.values(t.expect).flat())));
  expect(samples.flatMap((s) => s.events)).toEqual(asJson(sources(p).flatMap((n) => n.samples ?? [])));
  const skeleton = (sf: ts.SourceFile) => {
    const v = variables(sf);
    let text = sf.text;
    for (const name of ['samples', 'cases']) {
      const init = v.get(name)!.initializer!;
      text = text.slice(0, init.getStart(sf)) + `<${name}>` + text.slice(init.end);
    }
    return text;
  };
  expect(skeleton(testTs)).toBe(skeleton(sourceFile('baseline', BASELINE.files['test/pipeline.test.ts'])));

  // README: user text stays inert Markdown, one line each; the diagram has one line per node and edge.
  const readme = files['README.md'];
  const prose = readme.replace(/```[\s\S]*?```/g, '');
  expect(prose, 'raw HTML in the README').not.toMatch(/(^|[^\\])</m);
  for (const line of prose.split('\n').filter((l) => l.startsWith('| '))) {
    expect(line.split(/(?<!\\)\|/).length, `table row ${line.slice(0, 120)}`).toBe(5);
  }
  const mermaid = /```mermaid\n([\s\S]*?)\n```/.exec(readme)![1].split('\n');
  const edges = p.nodes.reduce((n, node) => n + node.inputs.length, 0);
  expect(mermaid).toHaveLength(1 + p.nodes.length + edges);
  for (const line of mermaid.slice(1, 1 + p.nodes.length)) expect(line).toMatch(/^ {2}[a-z0-9-]+(\["[^"]*"\]|\[\("[^"]*"\)\])$/);
  if (p.description !== undefined && p.description !== '') {
    const lines = readme.split('\n');
    expect(lines.slice(0, 3)).toEqual([`# ${p.name}`, '', expect.any(String)]);
    expect(lines[3]).toBe('');
  }
}

/** (c) The expressions type-check against the runtime, as the generated repository's compiler will see them. */
const typechecked = new Map<string, Problem[]>();
const printer = ts.createPrinter({ removeComments: true });
/** Type-checking is the slow part; comments (labels) cannot change its result, so it runs once per program without them. */
function typecheckCached(p: Pipeline, files: FileMap): Problem[] {
  const code = (path: string) => printer.printFile(ts.createSourceFile(path, files[path], ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS));
  const key = code('src/pipeline.ts') + '\u0000' + code('src/types.gen.ts');
  let problems = typechecked.get(key);
  if (!problems) typechecked.set(key, (problems = typecheckInNode(p)));
  return problems;
}

type Outcome = 'rejected' | 'accepted' | 'rejected by the type check';

/**
 * One adversarial case from end to end. Accepted pipelines are generated and
 * checked; with `typecheck`, their expressions are type-checked too, and a
 * type error must be a PW034 on a node (the user's mistake), never a PW050
 * (generated code that does not compile).
 */
function runCase(text: string, typecheck = true): Outcome {
  const { pipeline, errors } = parseSafely(text);
  if (errors.length > 0) return 'rejected';
  let result: ReturnType<typeof generate>;
  expect(() => (result = generate(pipeline!, assets)), 'generate throws').not.toThrow();
  expect(result!.problems.filter((p) => p.severity === 'error')).toEqual([]);
  expect(result!.files).not.toBeNull();
  checkGenerated(pipeline!, result!.files!);
  if (!typecheck) return 'accepted';
  const problems = typecheckCached(pipeline!, result!.files!);
  for (const p of problems) {
    expect(p.code, `${p.code}: ${p.message}`).toBe('PW034');
    expect(p.nodeId, p.message).toBeDefined();
    expect(pipeline!.nodes.some((n) => n.id === p.nodeId)).toBe(true);
    expect(p.hint.length).toBeGreaterThan(5);
  }
  return problems.length ? 'rejected by the type check' : 'accepted';
}

// ---------------------------------------------------------------------------------------------
// Hostile names and text
// ---------------------------------------------------------------------------------------------

const HOSTILE: [string, string][] = [
  ['quotes', `"double" and 'single' quotes`],
  ['backticks and ${}', '`backtick` ${process.exit(1)} ${"}"}'],
  ['comment close', '*/ process.exit(1); /*'],
  ['script tag', '</script><script>alert(1)</script>'],
  ['newlines', 'line one\nline two\r\nline three\rfour'],
  ['U+2028 and U+2029', 'before\u2028middle\u2029after'],
  ['handlebars', '{{name}} {{{name}}} {{#each topics}}x{{/each}}'],
  ['relative path', '../../etc/passwd'],
  ['absolute path', '/etc/passwd'],
  ['windows path', '..\\..\\windows\\system32'],
  ['shell substitution', '$(touch pwned) `touch pwned`; rm -rf / && echo | cat > x'],
  ['shell single quote', "'; touch pwned; echo '"],
  ['shell double quote', '"; touch pwned; echo "'],
  ['YAML syntax', '- item\n? key\n: value\n--- \n...\n# comment'],
  ['YAML anchors and tags', '&anchor *alias !!js/function %TAG ! tag:x'],
  ['control characters', 'nul\u0000 bell\u0007 esc\u001b[31mred\u001b[0m del\u007f'],
  ['invisible characters', '\ufeffbom \u200bzero-width \u202ertl-override'],
  ['unicode', 'ünïcødé 中文 日本語 עברית 🚀👩‍👩‍👧'],
  ['backslashes', '\\ backslash \\n not a newline \\u2028 \\'],
  ['Markdown and HTML', '<!-- html --> <b>b</b> [link](javascript:alert(1)) ![i](x) | pipe | # h'],
  ['Mermaid syntax', '"] --> evil[("x")]; click evil call alert() %%'],
  ['very long', 'x'.repeat(100_000)],
  ['empty', ''],
  ['YAML scalars', 'null'],
  ['YAML number', '1e400'],
  ['__proto__', '__proto__'],
  ['constructor', 'constructor'],
];

type Where = { name: string; set: (p: Any, s: string) => void };
/** Places that name things: an invalid value must be rejected. */
const NAME_PLACES: Where[] = [
  { name: 'pipeline name', set: (p, s) => (p.pipeline = s) },
  {
    name: 'node id',
    set: (p, s) => {
      p.nodes[1].id = s;
      p.nodes[2].input = s;
    },
  },
  { name: 'node kind', set: (p, s) => (p.nodes[1].kind = s) },
  { name: 'input reference', set: (p, s) => (p.nodes[2].input = s) },
  // defineProperty, so that "__proto__" becomes a key of the YAML rather than this object's prototype.
  { name: 'parameter name', set: (p, s) => Object.defineProperty(p.nodes[1], s, { value: 1, enumerable: true }) },
  { name: 'source topic', set: (p, s) => (p.nodes[0].topic = s) },
  { name: 'sink topic', set: (p, s) => (p.nodes[3].topic = s) },
  { name: 'dead-letter topic', set: (p, s) => (p.errors.topic = s) },
  { name: 'image', set: (p, s) => (p.deploy = { ...p.deploy, image: s }) },
  // defineProperty, so that "__proto__" becomes a key of the YAML rather than this object's prototype.
  { name: 'monitoring label key', set: (p, s) => (p.deploy = { monitoring: { labels: Object.defineProperty({}, s, { value: 'x', enumerable: true }) } }) },
  { name: 'monitoring label value', set: (p, s) => (p.deploy = { monitoring: { labels: { release: s } } }) },
  { name: 'test input node', set: (p, s) => (p.tests[0].input = { [s]: p.tests[0].input.orders }) },
];
/** Free text: accepted, and carried through escaped. */
const TEXT_PLACES: Where[] = [
  { name: 'description', set: (p, s) => (p.description = s) },
  { name: 'source label', set: (p, s) => (p.nodes[0].label = s) },
  { name: 'filter label', set: (p, s) => (p.nodes[1].label = s) },
  { name: 'test name', set: (p, s) => (p.tests[0].name = s) },
  {
    name: 'sample key',
    set: (p, s) => {
      p.nodes[0].samples[0].key = s;
      p.tests[0].input.orders[0].key = s;
      p.tests[0].expect.out[0].key = s;
    },
  },
  {
    name: 'sample string value',
    set: (p, s) => {
      p.nodes[0].samples[1].value.note = s;
      p.tests[0].input.orders[0].value.note = s;
      p.tests[0].expect.out[0].value.note = s;
    },
  },
  {
    name: 'sample field name',
    set: (p, s) => {
      for (const v of [p.nodes[0].samples[0].value, p.tests[0].input.orders[0].value]) Object.defineProperty(v, s, { value: 1, enumerable: true });
    },
  },
  { name: 'header name and value', set: (p, s) => (p.nodes[0].samples[0].headers = { [s]: s, plain: s }) },
];

/** Whether a string is a legal name for the place, by the rules of Kubernetes and Kafka themselves. */
function legalName(where: string, s: string): boolean {
  switch (where) {
    case 'pipeline name':
      return /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(s) && s.length <= 63;
    case 'node id':
    case 'input reference':
    case 'node kind':
    case 'parameter name':
    case 'test input node':
      return /^[a-z][a-z0-9-]*$/.test(s);
    case 'image':
      return /^[a-z0-9][a-z0-9._/:@-]*$/.test(s);
    case 'monitoring label key':
      return /^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(s) && !s.startsWith('app.kubernetes.io/');
    case 'monitoring label value':
      return /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/.test(s);
    default:
      return /^[A-Za-z0-9._-]{1,249}$/.test(s) && s !== '.' && s !== '..';
  }
}

function withValue(where: Where, s: string): string {
  const p = basePipeline();
  where.set(p, s);
  return stringify(p);
}

describe('hostile names are rejected with a clear problem', () => {
  const cases = NAME_PLACES.flatMap((w) => HOSTILE.map(([label, s]) => ({ where: w, label, s })));
  it.each(cases)('$where.name: $label', ({ where, s }) => {
    const outcome = runCase(withValue(where, s), false);
    if (!legalName(where.name, s)) expect(outcome).toBe('rejected');
  });
});

/**
 * Field names are the one kind of free text that reaches type declarations, and each distinct one
 * costs a type check; these are type-checked one by one, and all of them at once (with tsc) below.
 */
const TYPECHECKED_FIELD_NAMES = new Set(['quotes', 'U+2028 and U+2029', '__proto__']);

describe('hostile text is carried through escaped, and the output compiles', () => {
  const cases = TEXT_PLACES.flatMap((w) => HOSTILE.map(([label, s]) => ({ where: w, label, s })));
  it.each(cases)('$where.name: $label', ({ where, label, s }) => {
    const typecheck = where.name !== 'sample field name' || TYPECHECKED_FIELD_NAMES.has(label);
    expect(runCase(withValue(where, s), typecheck)).toBe('accepted');
  });
});

describe('names that are legal but awkward still give a repository that compiles', () => {
  const pipelineWith = (edit: (p: Any) => void) => {
    const p = basePipeline();
    edit(p);
    return stringify(p);
  };
  const rename = (p: Any, index: number, id: string) => {
    const old = p.nodes[index].id;
    p.nodes[index].id = id;
    for (const n of p.nodes) if (n.input === old) n.input = id;
    for (const t of p.tests) for (const field of ['input', 'expect']) if (old in t[field]) t[field] = { [id]: t[field][old] };
  };
  // Ids whose TypeScript type names would clash are rejected, naming the node.
  const CLASHES: [string, (p: Any) => void, string][] = [
    ['ids that differ only by "-" before a digit', (p) => (rename(p, 1, 'a-1'), rename(p, 2, 'a1')), 'a1'],
    ['ids that differ only by "-" before a digit, source and sink', (p) => (rename(p, 0, 'in-2'), rename(p, 3, 'in2')), 'in2'],
    ['a source named like the fallback event type', (p) => rename(p, 0, 'unknown'), 'unknown'],
    ['a transform named like the fallback event type', (p) => rename(p, 1, 'unknown'), 'unknown'],
  ];
  it.each(CLASHES)('%s: rejected', (_name, edit, nodeId) => {
    const text = pipelineWith(edit);
    expect(runCase(text, false)).toBe('rejected');
    expect(parsePipeline(text).problems.filter((p) => p.severity === 'error')).toMatchObject([{ code: 'PW009', nodeId }]);
  });
  const CASES: [string, (p: Any) => void][] = [
    ['ids named like the generated variables', (p) => (rename(p, 0, 'graph'), rename(p, 1, 'fns'), rename(p, 2, 'topics'), rename(p, 3, 'from-beginning'))],
    ['ids named like expression parameters and keywords', (p) => (rename(p, 0, 'value'), rename(p, 1, 'key'), rename(p, 2, 'record'), rename(p, 3, 'return'))],
    ['ids named like JavaScript built-ins', (p) => (rename(p, 0, 'constructor'), rename(p, 1, 'object'), rename(p, 2, 'promise'), rename(p, 3, 'array'))],
    ['ids that are Mermaid keywords', (p) => (rename(p, 0, 'end'), rename(p, 1, 'graph'), rename(p, 2, 'subgraph'), rename(p, 3, 'click'))],
    ['the longest ids', (p) => (rename(p, 1, 'a'.repeat(40)), rename(p, 2, `${'b-'.repeat(19)}bb`))],
    ['topics with dots, underscores and capitals', (p) => ((p.nodes[0].topic = 'Orders_V1..raw'), (p.nodes[3].topic = 'a.-b_C'), (p.errors.topic = '-dlq.'))],
    ['topics that lowercase to the same name', (p) => ((p.nodes[0].topic = 'Orders'), (p.nodes[3].topic = 'orders'))],
    ['the longest topic names', (p) => ((p.nodes[0].topic = 'x'.repeat(200)), (p.nodes[3].topic = `${'y'.repeat(199)}_`))],
    ['topics that are only punctuation', (p) => ((p.nodes[0].topic = '_'), (p.nodes[3].topic = '-'), (p.errors.topic = '...'))],
    ['the longest pipeline name', (p) => (p.pipeline = `p${'-a'.repeat(19)}b`)],
  ];
  // Topic and pipeline names only reach string literals of the code (the type check of the tsc cases below covers those).
  const CODE_NAMES = (name: string) => !/topic|pipeline name/.test(name);
  it.each(CASES)('%s', (name, edit) => {
    const outcome = runCase(pipelineWith(edit), CODE_NAMES(name));
    expect(outcome, 'these pipelines are valid: they must compile, not fail the type check').toBe('accepted');
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile expressions
// ---------------------------------------------------------------------------------------------

describe('hostile expressions are rejected, or wrapped as exactly one expression', () => {
  const withExpression = (param: 'where' | 'to' | 'key', expr: unknown) => {
    const p = basePipeline();
    const node = p.nodes.find((n: Any) => n[param] !== undefined);
    node[param] = expr;
    return { text: stringify(p), nodeId: node.id as string };
  };
  // [expression, parameter, expected: a problem code or 'accepted']
  const CASES: [unknown, 'where' | 'to' | 'key', string][] = [
    ['x); process.exit(1); (', 'where', 'PW030'],
    ['value.amount > 1); process.exit(1); (1', 'where', 'PW030'],
    ['}', 'where', 'PW030'],
    ['}); process.exit(1); ({', 'to', 'PW030'],
    ['a; b', 'where', 'PW031'],
    ['value.amount > 1;;', 'where', 'PW031'],
    ['let x = 1', 'where', 'PW031'],
    ['label: value.amount', 'where', 'PW031'],
    ['{ a: 1 }', 'to', 'PW032'],
    ['/* unterminated', 'where', 'PW030'],
    ['`unterminated', 'where', 'PW030'],
    ["'unterminated", 'where', 'PW030'],
    ['// comment only', 'where', 'PW035'],
    ['/* comment only */', 'where', 'PW035'],
    ['', 'key', 'accepted'],
    ['   ', 'where', 'PW035'],
    ['await x', 'where', 'PW033'],
    ['yield 1', 'where', 'PW033'],
    ['function(){}', 'where', 'PW030'],
    ['@decorator value', 'where', 'PW030'],
    ['<div/>', 'to', 'PW030'],
    ['value.nosuchfield', 'where', 'PW034'],
    ['value.amount.toUpperCase()', 'where', 'PW034'],
    ['nosuchname > 1', 'where', 'PW034'],
    ['value', 'key', 'PW034'],
    ['process.exit(1)', 'where', 'PW034'],
    ['value.amount > 1 // trailing comment', 'where', 'accepted'],
    ['value.amount > 1 /* ) } */', 'where', 'accepted'],
    ['/* ) { */ value.amount > 1', 'where', 'accepted'],
    ['value.amount > 1;', 'where', 'accepted'],
    ['value.amount >\n  100 &&\n  value.note !== "x"', 'where', 'accepted'],
    ['value.amount > 1\n// a comment on the last line', 'where', 'accepted'],
    ['value.amount >\r\n1', 'where', 'accepted'],
    ['\u2028value.amount > 1\u2029', 'where', 'accepted'],
    ['value.note === "a\u2028b" || value.note === `}${"x"}`', 'where', 'accepted'],
    ['({ ...value, "*/": "</script>", "${x}": `${value.note}` })', 'to', 'accepted'],
    ['value.amount > 1 ? true : false', 'where', 'accepted'],
    ['(value.amount > 1)) || ((true', 'where', 'PW030'],
    ['value.note ?? key ?? "none"', 'key', 'accepted'],
    [true, 'where', 'accepted'],
    [100, 'where', 'accepted'],
    [['value'], 'where', 'PW015'],
    [{ a: 1 }, 'to', 'PW015'],
    [null, 'where', 'PW016'],
  ];
  it.each(CASES)('%j in %s → %s', (expr, param, expected) => {
    const { text, nodeId } = withExpression(param, expr);
    // Parsing and generation decide here; the type check runs below, once for all the expressions that pass these.
    const outcome = runCase(text, false);
    if (expected === 'accepted' || expected === 'PW034') {
      expect(outcome).toBe('accepted');
      return;
    }
    const found = parsePipeline(text).problems.filter((p) => p.severity === 'error');
    expect(found.map((p) => p.code)).toContain(expected);
    const p = found.find((x) => x.code === expected)!;
    expect(p.nodeId).toBe(nodeId);
    expect(p.path).toEqual(['nodes', basePipeline().nodes.findIndex((n: Any) => n.id === nodeId), param]);
    expectClearProblem(p, text);
  });

  /** Every expression with one expected outcome, each on a node of its own, in one pipeline: one type check. */
  const together = (expected: string) => {
    const p = basePipeline();
    p.tests = [];
    const chosen = CASES.filter(([expr, , e]) => e === expected && expr !== '');
    const source = p.nodes[0];
    const nodes: Any[] = [source];
    const owner = new Map<string, unknown>();
    let last = source.id;
    const add = (n: Any, expr: unknown) => {
      nodes.push(n);
      owner.set(n.id, expr);
    };
    chosen.forEach(([expr, param], i) => {
      if (param === 'where') add({ id: `where-${i}`, kind: 'filter', input: last, where: expr }, expr);
      if (param === 'where') last = `where-${i}`;
    });
    chosen.forEach(([expr, param], i) => {
      if (param === 'to') add({ id: `to-${i}`, kind: 'map', input: last, to: expr }, expr);
      if (param === 'to') last = `to-${i}`;
    });
    chosen.forEach(([expr, param], i) => {
      if (param === 'key') add({ id: `key-${i}`, kind: 'kafka-sink', input: last, topic: `out-${i}`, key: expr }, expr);
    });
    nodes.push({ id: 'out', kind: 'kafka-sink', input: last, topic: 'out' });
    p.nodes = nodes;
    return { text: stringify(p), owner };
  };

  it('the accepted expressions compile, all together', () => {
    const { text, owner } = together('accepted');
    expect(owner.size).toBeGreaterThan(10);
    expect(runCase(text)).toBe('accepted');
  });

  it('the expressions that do not type-check are each PW034 on their own node', () => {
    const { text, owner } = together('PW034');
    const { pipeline } = parseSafely(text);
    const found = typecheckCached(pipeline!, generate(pipeline!, assets).files!);
    expect(found.map((p) => p.code)).toEqual(found.map(() => 'PW034'));
    expect(found.map((p) => p.nodeId).sort()).toEqual([...owner.keys()].sort());
    for (const p of found) {
      const index = pipeline!.nodes.findIndex((n) => n.id === p.nodeId);
      expect(p.path).toEqual(['nodes', index, p.nodeId!.startsWith('key-') ? 'key' : 'where']);
      expect(p.message, String(owner.get(p.nodeId!))).toMatch(/^The expression does not type-check: /);
      expect(p.hint.length).toBeGreaterThan(5);
    }
  });

  it('value.nosuchfield is reported by the type check as PW034 on the node, with the field named', () => {
    const { text } = withExpression('where', 'value.amount > 1 && value.nosuchfield');
    const { pipeline, problems } = parsePipeline(text);
    expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
    const found = typecheckInNode(pipeline!);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'PW034', nodeId: 'big', path: ['nodes', 1, 'where'] });
    expect(found[0].message).toMatch(/nosuchfield/);
    expect(found[0].message).toMatch(/column 27/);
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile YAML
// ---------------------------------------------------------------------------------------------

const LAUGHS = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 8 }, (_, i) => {
    const name = String.fromCharCode(98 + i);
    return `${name}: &${name} [${Array(9)
      .fill(`*${String.fromCharCode(97 + i)}`)
      .join(',')}]`;
  }),
  'pipeline: laughs',
  'nodes: *i',
].join('\n');

const garbage = (seed: number, length: number) => {
  const r = rng(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(r() * 256))).toString('utf8');
};

const BASE_YAML = stringify(basePipeline());
/** The block of the source's samples in BASE_YAML. */
const SAMPLES = /samples:\n(?: {6}.*\n)+/;

const HOSTILE_YAML: [string, string][] = [
  ['empty file', ''],
  ['whitespace only', '  \n\t\n'],
  ['comments only', '# nothing here\n# at all\n'],
  ['a bare document marker', '---\n...\n'],
  ['a list, not a mapping', '- pipeline: x\n- nodes: []\n'],
  ['a string, not a mapping', 'just some text'],
  ['a number, not a mapping', '42'],
  ['null', '~'],
  ['two documents', `${BASE_YAML}---\n${BASE_YAML}`],
  ['duplicate keys', 'pipeline: a\npipeline: b\nnodes: []\n'],
  ['duplicate keys in a node', BASE_YAML.replace('kind: filter', 'kind: filter\n    kind: map')],
  ['billion laughs', LAUGHS],
  ['billion laughs in a sample', `${LAUGHS.split('\n').slice(0, -2).join('\n')}\n${BASE_YAML.replace(SAMPLES, 'samples: *i\n')}`],
  ['many small aliases', `s: &s { key: k, value: { amount: 1 } }\n${BASE_YAML.replace(SAMPLES, `samples: [${Array(500).fill('*s').join(', ')}]\n`)}`],
  ['an alias to itself', 'a: &a [*a]\npipeline: x\nnodes: []\n'],
  ['an undefined alias', 'pipeline: *nothing\nnodes: []\n'],
  ['tabs for indentation', 'pipeline: x\nnodes:\n\t- id: a\n\t  kind: filter\n'],
  ['tabs inside values', BASE_YAML.replace('kind: filter', 'kind:\tfilter\t')],
  ['unterminated quote', 'pipeline: "x\nnodes: []\n'],
  ['unterminated flow', 'pipeline: x\nnodes: [ { id: a, kind: filter\n'],
  ['bad indentation', 'pipeline: x\n  nodes: []\n nodes: []\n'],
  ['huge numbers', BASE_YAML.replace('partitions: 3', 'partitions: 1e400').replace('replicationFactor: 3', 'replicationFactor: 99999999999999999999999')],
  ['infinities and NaN', BASE_YAML.replace('partitions: 3', 'partitions: .inf').replace('replicationFactor: 3', 'replicationFactor: .nan')],
  ['negative and fractional counts', BASE_YAML.replace('partitions: 3', 'partitions: -1').replace('replicationFactor: 3', 'replicationFactor: 2.5')],
  ['hex, octal and binary numbers', BASE_YAML.replace('partitions: 3', 'partitions: 0x10').replace('replicationFactor: 3', 'replicationFactor: 0o3')],
  ['huge sample values', BASE_YAML.replace('amount: 250', 'amount: 1e400').replace('amount: 40', 'amount: -.inf')],
  ['big integers in samples', BASE_YAML.replace('amount: 250', 'amount: 123456789012345678901234567890')],
  ['nodes as a mapping', 'pipeline: x\nnodes:\n  a: { kind: kafka-source, topic: t }\n'],
  ['nodes as a string', 'pipeline: x\nnodes: all of them\n'],
  ['nodes of the wrong types', 'pipeline: x\nnodes: [1, "two", null, [], true]\n'],
  ['pipeline name as a list', BASE_YAML.replace('pipeline: hostile', 'pipeline: [hostile]')],
  ['pipeline name as a number', BASE_YAML.replace('pipeline: hostile', 'pipeline: 12')],
  ['kafka as a string', BASE_YAML.replace(/kafka:\n(\s+.*\n){3}/, 'kafka: plaintext\n')],
  ['errors and deploy of the wrong types', `${BASE_YAML}deploy: [1]\n`.replace(/errors:\n\s+policy: dead-letter/, 'errors: { policy: [x], topic: { a: 1 } }')],
  ['deploy replicas as text', `${BASE_YAML}deploy: { replicas: "three", image: UPPER CASE }\n`],
  ['version 2', BASE_YAML.replace('version: 1', 'version: 2')],
  ['id as a mapping', BASE_YAML.replace('id: big', 'id: { a: 1 }')],
  ['id as a number', BASE_YAML.replace('id: big', 'id: 12').replace('input: big', 'input: 12')],
  ['kind as a list', BASE_YAML.replace('kind: filter', 'kind: [filter]')],
  ['input as a number', BASE_YAML.replace('input: orders', 'input: 5')],
  ['input as nested lists', BASE_YAML.replace('input: orders', 'input: [[orders]]')],
  ['input to an unknown port', BASE_YAML.replace('input: orders', 'input: { nope: orders }')],
  ['input from an unknown output port', BASE_YAML.replace('input: orders', 'input: orders.nope')],
  ['a cycle', BASE_YAML.replace('input: orders', 'input: [orders, shape]')],
  ['label as a mapping', BASE_YAML.replace('id: big', 'id: big\n    label: { a: 1 }')],
  ['position of the wrong type', BASE_YAML.replace('id: big', 'id: big\n    position: { x: .nan, y: "1" }')],
  ['samples as a mapping', BASE_YAML.replace(SAMPLES, 'samples: { a: 1 }\n')],
  ['sample without a value', BASE_YAML.replace('value:\n          amount: 40', 'vallue:\n          amount: 40')],
  ['sample key as a mapping and bad timestamp', BASE_YAML.replace('key: c-2', 'key: { a: 1 }\n        timestamp: yesterday')],
  ['sample headers of the wrong type', BASE_YAML.replace('key: c-2', 'key: c-2\n        headers: { a: 1, b: [2] }')],
  ['tests as a mapping', BASE_YAML.replace(/^tests:/m, 'tests: 5\nold:')],
  ['tests of the wrong types', `${BASE_YAML.replace(/^tests:[\s\S]*$/m, '')}tests: [5, { name: 1, input: 2, expect: [], deadLetters: -1 }]\n`],
  [
    'YAML tags',
    BASE_YAML.replace('pipeline: hostile', 'pipeline: !!js/function "function () { process.exit(1) }"').replace('kind: filter', 'kind: !custom filter'),
  ],
  ['binary and set tags', BASE_YAML.replace('pipeline: hostile', 'pipeline: !!binary aGVsbG8=').replace('id: big', 'id: !!set { a, b }')],
  ['merge keys', BASE_YAML.replace('  - id: big\n', '  - <<: { label: merged }\n    id: big\n')],
  ['__proto__ keys', `__proto__: { polluted: 1 }\n${BASE_YAML.replace('id: big', 'id: big\n    __proto__: { polluted: 1 }\n    constructor: x')}`],
  ['deep nesting', `pipeline: x\nnodes: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
  ['deep nesting of mappings', `pipeline: x\ndescription: ${'{a: '.repeat(3000)}1${'}'.repeat(3000)}\nnodes: []\n`],
  ['a 2 MB line', `pipeline: x\ndescription: ${'y'.repeat(2_000_000)}\nnodes: []\n`],
  ['2,000 nodes of nonsense', `pipeline: x\nnodes:\n${'  - { id: A, kind: ?, input: [x, x] }\n'.repeat(2_000)}`],
  ['NUL bytes', `pipeline: x\0\nnodes: []\0\n`],
  ['a byte-order mark', `\ufeff${BASE_YAML}`],
  ['CRLF line ends', BASE_YAML.replace(/\n/g, '\r\n')],
  ['CR line ends', BASE_YAML.replace(/\n/g, '\r')],
  ['binary garbage', garbage(1, 4096)],
  ['more binary garbage', garbage(2, 65536)],
  ['garbage after a valid pipeline', BASE_YAML + garbage(3, 512)],
  ['a YAML directive', `%YAML 1.1\n%TAG ! tag:evil.example,2000:\n---\n${BASE_YAML}`],
];

describe('hostile YAML never crashes the parser', () => {
  it.each(HOSTILE_YAML)('%s', (_name, text) => {
    runCase(text, false);
  });

  it('the billion laughs are refused as YAML, not expanded', () => {
    const { pipeline, errors } = parseSafely(LAUGHS);
    expect(pipeline).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(['PW001']);
  });

  it('duplicate keys are refused at the second key', () => {
    const { errors } = parseSafely('pipeline: a\npipeline: b\nnodes: []\n');
    expect(errors).toMatchObject([{ code: 'PW001', line: 2, column: 1 }]);
  });
});

describe('the CLI reports hostile input without a stack trace', () => {
  const run = promisify(execFile);
  const cli = join(REPO_ROOT, 'bin/pipewright.mjs');
  const cases: [string, string, number[]][] = [
    ['billion laughs', LAUGHS, [1]],
    ['binary garbage', garbage(4, 4096), [1]],
    ['nodes as a mapping', 'pipeline: x\nnodes: { a: 1 }\n', [1]],
    [
      'an injected expression',
      stringify({ ...basePipeline(), nodes: basePipeline().nodes.map((n: Any) => (n.id === 'big' ? { ...n, where: 'x); process.exit(0); (' } : n)) }),
      [1],
    ],
    ['a misspelt field', BASE_YAML.replace('value.amount >= 100', 'value.amuont >= 100'), [1]],
  ];
  it('validate exits 1 or 2 with a message for each', async () => {
    const results = await Promise.all(
      cases.map(async ([name, text, codes], i) => {
        const file = join(tmp, `cli-${i}.yaml`);
        writeFileSync(file, text);
        const r = await run(process.execPath, [cli, 'validate', file], { cwd: REPO_ROOT, maxBuffer: 64 << 20 }).then(
          (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
          (e: Any) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }),
        );
        return { name, codes, ...r };
      }),
    );
    for (const r of results) {
      expect(r.codes, `${r.name}: exit code ${r.code}\n${r.stderr.slice(0, 2000)}`).toContain(r.code);
      expect(r.stderr, r.name).toMatch(/error PW\d{3}/);
      expect(r.stderr, r.name).toMatch(/hint: /);
      expect(r.stderr, `${r.name}: a stack trace`).not.toMatch(/^ {4}at /m);
      expect(r.stderr, r.name).not.toMatch(/internal error/);
    }
    // A type error is placed in the file, not only on the node.
    const misspelt = results.find((r) => r.name === 'a misspelt field')!;
    expect(misspelt.stderr).toMatch(/cli-4\.yaml:\d+:\d+: error PW034 \[node big\]/);
  }, 60_000);

  it('generate writes only inside the output folder, whatever the text in the pipeline', async () => {
    const dir = mkdtempSync(join(tmp, 'generate-'));
    const p = basePipeline();
    p.description = '../../../../escaped';
    p.nodes[1].label = '/etc/passwd';
    writeFileSync(join(dir, 'pipeline.yaml'), stringify(p));
    const out = join(dir, 'out');
    await run(process.execPath, [cli, 'generate', join(dir, 'pipeline.yaml'), '-o', out, '--zip', join(dir, 'out.zip')], { cwd: REPO_ROOT });
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    const written = walk(dir).map((f) => relative(dir, f).split(sep).join('/'));
    const expected = Object.keys(generateOk(stringify(p)).files).map((f) => `out/${f}`);
    expect(written.sort()).toEqual(['out.zip', 'pipeline.yaml', 'out/.pipewright-files', ...expected].sort());
    // (A pipeline named like a path never gets this far: see "hostile names are rejected".)
  }, 60_000);
});

// ---------------------------------------------------------------------------------------------
// Randomized: many pipelines built from hostile parts
// ---------------------------------------------------------------------------------------------

const RANDOM_CASES = 200;
/** Every case is generated and checked; every TYPECHECK_EVERY-th accepted one is also type-checked. */
const TYPECHECK_EVERY = 10;

function randomPipeline(seed: number): { text: string; mutated: boolean } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const chance = (p: number) => r() < p;
  const hostile = () => pick(HOSTILE)[1].slice(0, chance(0.9) ? 200 : 100_000);
  const randomText = () => {
    const n = Math.floor(r() * 12);
    let s = '';
    for (let i = 0; i < n; i++) {
      const c = r();
      if (c < 0.5) s += pick(['a', 'Z', '0', ' ', '-', '_', '.', '"', "'", '`', '$', '{', '}', '\\', '/', '*', '<', '>', '|', '#', ':', '\n', '\r', '\t']);
      else if (c < 0.8) s += String.fromCodePoint(Math.floor(r() * 0x3000));
      else if (c < 0.95) s += String.fromCodePoint(0x1f300 + Math.floor(r() * 0x300));
      else s += pick(['\u2028', '\u2029', '\u0000', '\ufeff', '\u202e', '\ud800', '\udfff']);
    }
    return s;
  };
  const text = () => (chance(0.5) ? hostile() : randomText());
  const ID_POOL = [
    'a',
    'a-1',
    'a1',
    'b-2',
    'b2',
    'unknown',
    'end',
    'graph',
    'value',
    'key',
    'record',
    'constructor',
    'x-y',
    'xy',
    'in',
    'out',
    'fns',
    'topics',
    'z'.repeat(40),
  ];
  const id = () => (chance(0.05) ? text() : chance(0.7) ? pick(ID_POOL) : `${pick(ID_POOL)}-${Math.floor(r() * 100)}`);
  const TOPIC_POOL = ['orders', 'Orders', 'a..b', 'A_B', '-x', 'x.', '_', '..', '.', 'a.-b', 'x'.repeat(200), 'x'.repeat(250), 'in.v1', 'dlq'];
  const topic = () => (chance(0.05) ? text() : chance(0.8) ? pick(TOPIC_POOL) : `${pick(TOPIC_POOL)}-${Math.floor(r() * 100)}`);
  const scalar = (): unknown =>
    pick([() => text(), () => Math.floor(r() * 1000) - 500, () => r() * 1e6, () => pick([0, -0, 1e308, 2 ** 53 + 1, 1e-300]), () => chance(0.5), () => null])();
  const value = (depth: number): unknown => {
    if (depth > 2 || chance(0.3)) return scalar();
    if (chance(0.3)) return Array.from({ length: Math.floor(r() * 3) }, () => value(depth + 1));
    const o: Obj = {};
    for (let i = Math.floor(r() * 4); i > 0; i--) o[chance(0.6) ? pick(['amount', 'note', 'id', 'nested']) : text()] = value(depth + 1);
    return o;
  };
  const event = (): Obj => {
    const e: Obj = { value: chance(0.8) ? { amount: Math.floor(r() * 500), note: text(), ...(value(1) as Obj) } : value(0) };
    if (chance(0.7)) e.key = chance(0.8) ? text() : null;
    if (chance(0.2)) e.timestamp = Math.floor(r() * 2e12);
    if (chance(0.2)) e.headers = { [text()]: text() };
    return e;
  };
  const GOOD_WHERE = ['value.amount >= 100', 'true', 'value.note !== ""', 'key !== null', 'record.partition >= 0', 'typeof value === "object"'];
  const GOOD_TO = ['({ amount: value.amount })', 'value', '({ ...value, n: 1 })', '[value]', 'String(value.amount)'];
  const BAD = [
    'x); process.exit(1); (',
    '}',
    'a; b',
    '{ a: 1 }',
    '/* open',
    '`open',
    '// c',
    'await x',
    'value.nosuchfield',
    'function(){}',
    '',
    'value.amount >\n 1',
  ];
  const expr = (good: string[]) => (chance(0.75) ? pick(good) : chance(0.5) ? pick(BAD) : text());

  const sourceId = id();
  const nodes: Any[] = [
    { id: sourceId, kind: 'kafka-source', topic: topic(), partitions: 1 + Math.floor(r() * 12), samples: Array.from({ length: Math.floor(r() * 4) }, event) },
  ];
  if (chance(0.5)) nodes[0].label = text();
  if (chance(0.2)) nodes[0].format = pick(['json', 'string', 'bytes']);
  if (chance(0.1)) nodes[0].start = 'latest';
  let previous = sourceId;
  for (let i = Math.floor(r() * 4); i > 0; i--) {
    const kind = pick(['filter', 'map']);
    const n: Any = { id: id(), kind, input: chance(0.95) ? previous : id() };
    if (kind === 'filter') n.where = expr(GOOD_WHERE);
    else n.to = expr(GOOD_TO);
    if (chance(0.4)) n.label = text();
    nodes.push(n);
    previous = n.id;
  }
  const sink: Any = { id: id(), kind: 'kafka-sink', input: previous, topic: topic() };
  if (chance(0.4)) sink.key = expr(['key', 'null', 'String(key)', 'record.offset']);
  if (chance(0.2)) sink.partitions = 1 + Math.floor(r() * 12);
  nodes.push(sink);
  const p: Any = { pipeline: chance(0.85) ? pick(['p', 'orders-x', 'a'.repeat(40), 'pipe-1']) : text(), nodes };
  if (chance(0.6)) p.description = text();
  if (chance(0.4))
    p.kafka = {
      profile: pick(['plaintext', 'sasl-ssl']),
      mechanism: pick(['plain', 'scram-sha-256', 'scram-sha-512']),
      replicationFactor: 1 + Math.floor(r() * 3),
    };
  // The other connection profiles, their settings sometimes hostile text.
  if (p.kafka && chance(0.5)) {
    Object.assign(
      p.kafka,
      pick([
        () => ({ profile: 'mtls', customCa: chance(0.5) }),
        () => ({
          profile: 'oauthbearer',
          customCa: true,
          oauth: {
            tokenEndpoint: chance(0.6) ? 'https://idp.example.com/token' : text(),
            ...(chance(0.5) ? { scope: chance(0.5) ? 'kafka.read kafka.write' : text() } : {}),
          },
        }),
        () => ({
          profile: 'aws-msk-iam',
          aws: { region: chance(0.7) ? 'eu-west-1' : text(), roleArn: chance(0.7) ? 'arn:aws:iam::123456789012:role/orders' : text() },
        }),
        () => ({
          profile: 'sasl-ssl',
          preset: pick(['confluent-cloud', 'azure-event-hubs']),
          mechanism: 'plain',
          bootstrapServers: pick(['pkc-1.eu-west-1.aws.confluent.cloud:9092', 'ns.servicebus.windows.net:9093']),
        }),
      ])(),
    );
  }
  if (chance(0.3)) p.errors = { policy: pick(['dead-letter', 'skip', 'fail']), ...(chance(0.5) ? { topic: topic() } : {}) };
  if (chance(0.3)) p.deploy = { replicas: 1 + Math.floor(r() * 20) };
  if (chance(0.4)) p.deploy = { ...p.deploy, monitoring: true };
  if (chance(0.6)) p.tests = [{ name: text(), input: { [sourceId]: [event()] }, expect: { [sink.id]: [event()] } }];
  let yaml = stringify(p);
  const mutated = chance(0.1);
  if (mutated) {
    // Damage the text itself: drop, duplicate or insert a character or a line.
    for (let i = 1 + Math.floor(r() * 3); i > 0; i--) {
      const at = Math.floor(r() * yaml.length);
      yaml = pick([
        () => yaml.slice(0, at) + yaml.slice(at + 1),
        () => yaml.slice(0, at) + pick(['\t', ':', '&a', '*a', '"', "'", '[', '{', '\n  ', '- ', '!!', '%']) + yaml.slice(at),
        () => {
          const lines = yaml.split('\n');
          const l = Math.floor(r() * lines.length);
          lines.splice(l, 0, lines[l]);
          return lines.join('\n');
        },
      ])();
    }
  }
  return { text: yaml, mutated };
}

describe('randomized adversarial pipelines (seeded)', () => {
  const outcomes: Record<string, number> = {};
  let accepted = 0;
  const seeds = Array.from({ length: RANDOM_CASES }, (_, i) => 0x5eed + i);
  it.each(seeds)('seed %i', (seed) => {
    const { text } = randomPipeline(seed);
    const quick = parsePipeline(text);
    const willTypecheck = !quick.problems.some((p) => p.severity === 'error') && accepted++ % TYPECHECK_EVERY === 0;
    const outcome = runCase(text, willTypecheck);
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  });
  it('covers both outcomes', () => {
    // Not a target, a guard against a generator that only ever makes one kind of pipeline.
    expect(outcomes.rejected).toBeGreaterThan(RANDOM_CASES / 10);
    expect(outcomes.accepted).toBeGreaterThan(RANDOM_CASES / 10);
  });
});

// ---------------------------------------------------------------------------------------------
// The whole generated tree, compiled by tsc, for a handful of hostile pipelines
// ---------------------------------------------------------------------------------------------

function kitchenSink(): Any {
  const p = basePipeline();
  const nasty = HOSTILE.filter(([label]) => label !== 'very long')
    .map(([, s]) => s)
    .join(' ');
  p.description = nasty;
  p.nodes[0].label = nasty;
  p.nodes[1].label = nasty;
  p.nodes[0].samples[0].key = nasty;
  p.nodes[0].samples[0].headers = { [nasty]: nasty };
  p.nodes[0].samples[1].value.note = nasty;
  for (const [, s] of HOSTILE) Object.defineProperty(p.nodes[0].samples[0].value, s.slice(0, 300), { value: s.slice(0, 300), enumerable: true });
  p.tests[0].name = nasty;
  p.tests[0].input.orders[0].key = nasty;
  p.tests[0].expect.out[0].key = nasty;
  p.nodes[1].where = 'value.amount >= 100 // ); process.exit(1); (';
  p.nodes[2].to = '({ amount: value.amount, note: value.note, "*/": "</script>", "${x}": `}${value.note}` })';
  return p;
}

describe('the generated tree compiles with tsc', () => {
  const tsc = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  const compile = (files: FileMap, name: string) => {
    const dir = join(tmp, `tsc-${name}`);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: dir, stdio: 'pipe' });
    } catch (e) {
      throw new Error(`tsc failed for ${name}:\n${String((e as Any).stdout)}${String((e as Any).stderr)}`, { cause: e });
    }
  };
  const CASES: [string, () => Any][] = [
    ['every hostile string at once', kitchenSink],
    [
      'awkward but legal ids and topics, sasl-ssl',
      () => {
        const p = basePipeline();
        p.kafka.profile = 'sasl-ssl';
        p.nodes[0].id = 'constructor';
        p.nodes[1].input = 'constructor';
        p.tests[0].input = { constructor: p.tests[0].input.orders };
        p.nodes[1].id = 'graph';
        p.nodes[2].input = 'graph';
        p.nodes[2].id = 'a-1';
        p.nodes[3].input = 'a-1';
        p.nodes[3].id = 'end';
        p.tests[0].expect = { end: p.tests[0].expect.out };
        p.nodes[0].topic = 'Orders_V1..raw';
        p.nodes[3].topic = 'orders';
        return p;
      },
    ],
  ];
  it.each(CASES)(
    '%s',
    (name, build) => {
      const text = stringify(build());
      expect(runCase(text)).toBe('accepted');
      compile(generateOk(text).files, name.replace(/\W+/g, '-'));
    },
    120_000,
  );
});

// ---------------------------------------------------------------------------------------------
// Determinism, and the zip
// ---------------------------------------------------------------------------------------------

describe('generation is deterministic', () => {
  it.each([
    ['the base pipeline', () => stringify(basePipeline())],
    ['every hostile string at once', () => stringify(kitchenSink())],
    ['the large-orders example', () => readFileSync(join(REPO_ROOT, 'examples/large-orders/pipeline.yaml'), 'utf8')],
  ])('%s: same files and the same zip bytes, twice', (_name, text) => {
    const first = generateOk(text());
    const second = generateOk(text());
    expect(second.files).toEqual(first.files);
    expect(Object.keys(second.files)).toEqual(Object.keys(first.files));
    const zip1 = zipFiles(first.files);
    const zip2 = zipFiles(second.files);
    expect(Buffer.from(zip2).equals(Buffer.from(zip1))).toBe(true);
    // The zip holds exactly the files, at the same safe paths.
    const entries = unzipSync(zip1);
    expect(Object.keys(entries).sort()).toEqual(Object.keys(first.files).sort());
    const dec = new TextDecoder();
    for (const [path, bytes] of Object.entries(entries)) {
      expect(ALLOWED_PATHS.has(path)).toBe(true);
      expect(dec.decode(bytes)).toBe(first.files[path]);
    }
  });
});
