/**
 * Type-checks a pipeline's expressions the way the generated repository's
 * compiler will: src/pipeline.ts and src/types.gen.ts against the vendored
 * runtime, in memory. Errors inside an expression come back as problems on
 * that node's parameter; anything else means the generator itself is wrong.
 * Pure: the TypeScript lib files arrive through `readLib`, so it runs in the
 * browser as well as in Node.
 */
import ts from 'typescript';
import { problem, type Problem } from './errors.js';
import type { CodegenAssets } from './generate.js';
import { nodePath, type Pipeline } from './pipeline.js';
import { EXPRESSION_INDENT, pipelineTs, typesGenTs } from './pipeline-ts.js';
import { planCode } from './plan.js';

/** Runtime files the type check needs: the portable part that pipeline.ts imports. */
function portable(path: string): boolean {
  return !path.startsWith('service/') && !path.startsWith('transports/kafka');
}

// The portable runtime uses these two web APIs, which Node and browsers both have.
const WEB_SHIMS = `
declare class TextEncoder { encode(input?: string): Uint8Array; }
declare class TextDecoder { constructor(label?: string, options?: { fatal?: boolean }); decode(input?: Uint8Array): string; }
`;

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
  verbatimModuleSyntax: true,
};

const libCache = new Map<string, ts.SourceFile>();
/** Parsed files of the last check by name: an edit re-parses only the files it changed (pipeline.ts, types.gen.ts). */
const fileCache = new Map<string, ts.SourceFile>();
let lastProgram: ts.Program | undefined;

/** The generated files whose diagnostics are the pipeline's; the vendored runtime is Pipewright's own, checked by its tests. */
const CHECKED = ['/app/src/shims.d.ts', '/app/src/pipeline.ts', '/app/src/types.gen.ts'];

export function typecheckPipeline(p: Pipeline, assets: CodegenAssets, readLib: (fileName: string) => string | undefined): Problem[] {
  const { text, sites } = pipelineTs(planCode(p));
  const files = new Map<string, string>([
    ['/app/src/pipeline.ts', text],
    ['/app/src/types.gen.ts', typesGenTs(p)],
    ['/app/src/shims.d.ts', WEB_SHIMS],
    ['/app/package.json', '{"type":"module"}'],
  ]);
  for (const [path, source] of Object.entries(assets.runtime)) if (portable(path)) files.set(`/app/src/runtime/${path}`, source);
  const host: ts.CompilerHost = {
    getSourceFile(fileName, languageVersion) {
      const own = files.get(fileName);
      if (own !== undefined) {
        const cached = fileCache.get(fileName);
        if (cached?.text === own) return cached;
        const sf = ts.createSourceFile(fileName, own, languageVersion, true);
        fileCache.set(fileName, sf);
        return sf;
      }
      const base = fileName.slice(fileName.lastIndexOf('/') + 1);
      let sf = libCache.get(base);
      if (!sf) {
        const lib = readLib(base);
        if (lib === undefined) return undefined;
        sf = ts.createSourceFile(fileName, lib, languageVersion, true);
        libCache.set(base, sf);
      }
      return sf;
    },
    getDefaultLibFileName: () => '/lib/lib.es2022.d.ts',
    getDefaultLibLocation: () => '/lib',
    writeFile: () => {},
    getCurrentDirectory: () => '/app',
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (f) => files.has(f) || (f.startsWith('/lib/') && readLib(f.slice(5)) !== undefined),
    readFile: (f) => files.get(f) ?? (f.startsWith('/lib/') ? readLib(f.slice(5)) : undefined),
    directoryExists: (d) => d === '/lib' || [...files.keys()].some((f) => f.startsWith(d.endsWith('/') ? d : d + '/')),
    getDirectories: () => [],
  };
  const program = ts.createProgram({ rootNames: ['/app/src/shims.d.ts', '/app/src/pipeline.ts'], options: OPTIONS, host, oldProgram: lastProgram });
  lastProgram = program;
  // Only the generated files are checked: the runtime's types are resolved as they use them,
  // which is what keeps a check after an edit fast.
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const name of CHECKED) {
    const sf = program.getSourceFile(name);
    if (sf) diagnostics.push(...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf));
  }
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const d of diagnostics) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file?.fileName === '/app/src/pipeline.ts' && d.start !== undefined) {
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      // The expression's lines, and the `return (` and `);` around them: a result of the wrong type
      // (a key that is an object) is reported on the return statement, not inside the expression.
      const site = sites.find((s) => line >= s.line - 1 && line <= s.line + s.lineCount);
      if (site) {
        const key = `${site.nodeId}\u0000${site.param}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const index = p.nodes.findIndex((n) => n.id === site.nodeId);
        const column = line === site.line ? character - EXPRESSION_INDENT : character;
        const inside = line >= site.line && line < site.line + site.lineCount;
        const where = !inside ? '' : site.lineCount > 1 ? ` (line ${line - site.line + 1}, column ${column + 1} of the expression)` : ` (column ${column + 1})`;
        problems.push(problem('PW034', { detail: message + where, fix: fixFor(d.code) }, [...nodePath(p.nodes[index], index), site.param], site.nodeId));
        continue;
      }
    }
    problems.push(problem('PW050', { detail: `${d.file?.fileName ?? ''}: ${message}` }, []));
  }
  return problems;
}

function fixFor(code: number): string {
  switch (code) {
    case 2339:
    case 2551:
      return 'Check the field name against the sample events of the source (fields are case-sensitive); add samples with the field if it is new.';
    case 2304:
    case 2552:
      return 'Expressions can use value, key and record (timestamp, headers, topic, partition, offset) and JavaScript built-ins.';
    case 18047:
    case 18048:
    case 2532:
      return 'The field can be missing or null in some events; use optional chaining (value.a?.b) or a default (value.a ?? 0).';
    default:
      return 'Fix the expression so that it type-checks against the event type inferred from the sample events.';
  }
}
