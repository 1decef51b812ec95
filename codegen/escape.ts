/**
 * One escaper per target language. Every user-supplied string that reaches a
 * generated file goes through one of these; templates call them as helpers.
 */

/** A TypeScript/JavaScript string literal. */
export function tsString(s: string): string {
  return JSON.stringify(s)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Any JSON value as a TypeScript literal. */
export function tsLiteral(v: unknown, indent?: number): string {
  return (
    (JSON.stringify(v, null, indent) ?? 'undefined')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029')
      // In an object literal, "__proto__": x sets the prototype instead of making a field, so a
      // sample event with that field would lose it. A computed key makes a field. Scanning string
      // tokens from the left keeps the match on whole keys, never inside a string.
      .replace(/"(?:[^"\\]|\\.)*"(?=:)/g, (token) => (token === '"__proto__"' ? '["__proto__"]' : token))
  );
}

/**
 * A validated name (pipeline, Kubernetes object) as a YAML scalar: plain as it is, unless YAML
 * would read it as something else. null, true and false are not strings in YAML 1.2, nor are
 * yes, no, on, off, y and n in the YAML 1.1 that Kubernetes tools still read.
 */
export function yamlName(s: string): string {
  return /^[a-z][a-z0-9.-]*$/.test(s) && !/^(null|true|false|yes|no|on|off|y|n)$/.test(s) ? s : yamlString(s);
}

/** A YAML double-quoted scalar. JSON strings are valid YAML double-quoted scalars. */
export function yamlString(s: string): string {
  return tsString(s);
}

/** A POSIX shell word: single-quoted, with embedded single quotes closed and reopened. */
export function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** Text inside a Markdown paragraph or table cell: no markup, no HTML, one line. */
export function markdownText(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`);
}

/** A Mermaid node label, as a quoted string with entity-encoded specials. */
export function mermaidLabel(s: string): string {
  const body = s.replace(/[\r\n]+/g, ' ').replace(/[&"<>#;`]/g, (c) => `#${c.charCodeAt(0)};`);
  return `"${body}"`;
}

/** A single-line comment body: nothing that could end the comment or start code. */
export function commentText(s: string): string {
  return s.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\*\//g, '* /');
}

/**
 * A PromQL string literal (a label value in a matcher): double-quoted, with backslash, quote and
 * control characters escaped as Go reads them. JSON's escapes are a subset of Go's.
 */
export function promqlString(s: string): string {
  return JSON.stringify(s);
}
