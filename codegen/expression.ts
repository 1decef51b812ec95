/**
 * A user expression must be exactly one TypeScript expression before it is
 * placed in a function body, so that it can never close the function it
 * sits in. Checked with the TypeScript parser itself.
 */
import ts from 'typescript';
import { problem, type Problem } from './errors.js';

export interface ExpressionCheck {
  ok: boolean;
  /** The expression's own text, trimmed of surrounding whitespace and a trailing semicolon. */
  text: string;
  problem?: Omit<Problem, 'path'>;
}

/** The text of an expression parameter; YAML may have read `true` or `1` as a scalar. */
export function expressionText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

const FORBIDDEN: [ts.SyntaxKind, string][] = [
  [ts.SyntaxKind.AwaitExpression, 'await'],
  [ts.SyntaxKind.YieldExpression, 'yield'],
];

export function checkExpression(source: string, example = 'value.amount > 100'): ExpressionCheck {
  const fail = (p: Problem): ExpressionCheck => {
    const { path: _path, ...rest } = p;
    return { ok: false, text: source, problem: rest };
  };
  if (source.trim() === '') return fail(problem('PW035', { example }, []));
  const sf = ts.createSourceFile('expression.ts', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diagnostics = (sf as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics ?? [];
  if (diagnostics.length > 0) {
    const d = diagnostics[0];
    const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
    return fail(problem('PW030', { detail: `${ts.flattenDiagnosticMessageText(d.messageText, ' ')} (at ${line + 1}:${character + 1} of the expression)` }, []));
  }
  // Only comments: there is no expression at all, rather than more than one.
  if (sf.statements.length === 0) return fail(problem('PW035', { example }, []));
  if (sf.statements.length !== 1) return fail(problem('PW031', {}, []));
  const statement = sf.statements[0];
  if (ts.isBlock(statement)) return fail(problem('PW032', {}, []));
  if (!ts.isExpressionStatement(statement)) return fail(problem('PW031', {}, []));
  let forbidden: string | undefined;
  const visit = (node: ts.Node): void => {
    for (const [kind, what] of FORBIDDEN) if (node.kind === kind) forbidden ??= what;
    ts.forEachChild(node, visit);
  };
  visit(statement.expression);
  if (forbidden) return fail(problem('PW033', { what: forbidden }, []));
  const text = source.slice(statement.expression.getStart(sf), statement.expression.end);
  return { ok: true, text };
}
