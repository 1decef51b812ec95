/**
 * Expressions already transpiled to JavaScript, turned into functions. Kept
 * apart from compile.ts so that a Web Worker can build a simulator from a
 * plan without loading the TypeScript compiler: the designer transpiles on
 * the main thread (where TypeScript is loaded anyway) and posts the text.
 */
import type { AnyFn, GraphFns } from '../runtime/engine/graph.js';

/** Transpiled expression text: node id → parameter name → one JavaScript expression. */
export type FnSources = Record<string, Record<string, string>>;

export function functionFromJs(js: string): AnyFn {
  // The text was checked to be exactly one expression before it was transpiled, so it cannot escape this body.
  // `acc`: what a reducer (aggregate's reduce) returned before for the key; other expressions never get it.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiling the user's checked expression is this function's purpose
  return new Function('value', 'key', 'record', 'acc', `"use strict";\nreturn ${js};`) as AnyFn;
}

export function functionsFromSources(sources: FnSources): GraphFns {
  const fns: GraphFns = {};
  for (const [node, params] of Object.entries(sources)) {
    for (const [name, js] of Object.entries(params)) (fns[node] ??= {})[name] = functionFromJs(js);
  }
  return fns;
}
