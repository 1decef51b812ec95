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
      if (spec.type === 'expression') {
        const fn = compileOne(node.id, expressionText(node.params[spec.name]));
        if (fn) (fns[node.id] ??= {})[spec.name] = fn;
      } else if (spec.type === 'expressions') {
        // One function per entry, named "param.entry" (branch routes: "routes.accepted").
        for (const [name, text] of Object.entries((node.params[spec.name] ?? {}) as Record<string, unknown>)) {
          const fn = compileOne(node.id, expressionText(text));
          if (fn) (fns[node.id] ??= {})[`${spec.name}.${name}`] = fn;
        }
      }
    }
  }
  return fns;
}

function compileOne(nodeId: string, raw: string | undefined): AnyFn | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const check = checkExpression(raw);
  if (!check.ok) throw new Error(`node ${nodeId}: ${check.problem?.message ?? 'invalid expression'}`);
  const js = ts.transpileModule(`(${'\n'}${check.text}${'\n'})`, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  // The checked text is exactly one expression, so it cannot escape this function body.
  return new Function('value', 'key', 'record', `"use strict";\nreturn ${js.trim().replace(/;$/, '')};`) as AnyFn;
}
