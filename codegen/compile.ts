/**
 * Expressions as functions, for running a pipeline straight from its Pipeline:
 * the simulator and the in-memory tests. The generated service does not use
 * this; it gets the same expressions as typed functions in src/pipeline.ts.
 */
import ts from 'typescript';
import { getKind } from '../runtime/kinds/registry.js';
import type { GraphFns } from '../runtime/engine/graph.js';
import { checkExpression, expressionText } from './expression.js';
import { functionsFromSources, type FnSources } from './expression-fns.js';
import type { Pipeline } from './pipeline.js';

/** Compiles every expression of a pipeline that validated; TypeScript types are stripped first. */
export function compileExpressions(p: Pipeline): GraphFns {
  return functionsFromSources(expressionSources(p));
}

/** Every expression of a pipeline as JavaScript text, ready for functionsFromSources (in a worker, say). */
export function expressionSources(p: Pipeline): FnSources {
  const out: FnSources = {};
  for (const node of p.nodes) {
    const kind = getKind(node.kind);
    if (!kind) continue;
    for (const spec of kind.params) {
      if (spec.type === 'expression') {
        const js = transpileOne(node.id, expressionText(node.params[spec.name]));
        if (js !== undefined) (out[node.id] ??= {})[spec.name] = js;
      } else if (spec.type === 'expressions') {
        // One function per entry, named "param.entry" (branch routes: "routes.accepted").
        for (const [name, text] of Object.entries((node.params[spec.name] ?? {}) as Record<string, unknown>)) {
          const js = transpileOne(node.id, expressionText(text));
          if (js !== undefined) (out[node.id] ??= {})[`${spec.name}.${name}`] = js;
        }
      }
    }
  }
  return out;
}

function transpileOne(nodeId: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const check = checkExpression(raw);
  if (!check.ok) throw new Error(`node ${nodeId}: ${check.problem?.message ?? 'invalid expression'}`);
  const js = ts.transpileModule(`(${'\n'}${check.text}${'\n'})`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  return js.trim().replace(/;$/, '');
}
