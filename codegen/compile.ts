/**
 * Expressions as functions, for running a pipeline straight from its model:
 * the simulator and the in-memory tests. The generated service does not use
 * this; it gets the same expressions as typed functions in src/pipeline.ts.
 */
import ts from 'typescript';
import { getKind } from '../runtime/kinds/registry.js';
import type { AnyFn, GraphFns } from '../runtime/engine/graph.js';
import { checkExpression } from './expression.js';
import type { Pipeline } from './model.js';
import { expressionText } from './validate.js';

/** Compiles every expression of a pipeline that validated; TypeScript types are stripped first. */
export function compileExpressions(p: Pipeline): GraphFns {
  const fns: GraphFns = {};
  for (const node of p.nodes) {
    const kind = getKind(node.kind);
    if (!kind) continue;
    for (const spec of kind.params) {
      if (spec.type !== 'expression') continue;
      const raw = expressionText(node.params[spec.name]);
      if (raw === undefined || raw.trim() === '') continue;
      const check = checkExpression(raw);
      if (!check.ok) throw new Error(`node ${node.id}: ${check.problem?.message ?? 'invalid expression'}`);
      const js = ts.transpileModule(`(${'\n'}${check.text}${'\n'})`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
      // The checked text is exactly one expression, so it cannot escape this function body.
      (fns[node.id] ??= {})[spec.name] = new Function('value', 'key', 'record', `"use strict";\nreturn ${js.trim().replace(/;$/, '')};`) as AnyFn;
    }
  }
  return fns;
}
