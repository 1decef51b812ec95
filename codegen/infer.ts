/**
 * Event types from sample events: the generated service's expressions are
 * typed functions over these, so a misspelt field fails validation instead
 * of failing in production.
 */

type Shape =
  | { t: 'never' }
  | { t: 'prim'; names: Set<string> }
  | { t: 'array'; of: Shape }
  | { t: 'object'; fields: Map<string, { shape: Shape; seen: number }>; count: number }
  | { t: 'union'; parts: Shape[] };

const NEVER: Shape = { t: 'never' };

function shapeOf(v: unknown): Shape {
  if (v === null) return { t: 'prim', names: new Set(['null']) };
  if (Array.isArray(v)) return { t: 'array', of: v.map(shapeOf).reduce(merge, NEVER) };
  switch (typeof v) {
    case 'string':
      return { t: 'prim', names: new Set(['string']) };
    case 'number':
      return { t: 'prim', names: new Set(['number']) };
    case 'boolean':
      return { t: 'prim', names: new Set(['boolean']) };
    case 'object': {
      const fields = new Map<string, { shape: Shape; seen: number }>();
      for (const [k, fv] of Object.entries(v)) fields.set(k, { shape: shapeOf(fv), seen: 1 });
      return { t: 'object', fields, count: 1 };
    }
    default:
      return { t: 'prim', names: new Set(['unknown']) };
  }
}

function merge(a: Shape, b: Shape): Shape {
  if (a.t === 'never') return b;
  if (b.t === 'never') return a;
  if (a.t === 'prim' && b.t === 'prim') return { t: 'prim', names: new Set([...a.names, ...b.names]) };
  if (a.t === 'array' && b.t === 'array') return { t: 'array', of: merge(a.of, b.of) };
  if (a.t === 'object' && b.t === 'object') {
    const fields = new Map(a.fields);
    for (const [k, f] of b.fields) {
      const prev = fields.get(k);
      fields.set(k, prev ? { shape: merge(prev.shape, f.shape), seen: prev.seen + f.seen } : f);
    }
    return { t: 'object', fields, count: a.count + b.count };
  }
  // Different kinds of value: keep both; a union of primitives folds above.
  const parts = [...(a.t === 'union' ? a.parts : [a])];
  for (const p of b.t === 'union' ? b.parts : [b]) {
    const i = parts.findIndex((x) => x.t === p.t);
    if (i >= 0) parts[i] = merge(parts[i], p);
    else parts.push(p);
  }
  return { t: 'union', parts };
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function render(s: Shape, indent: string): string {
  switch (s.t) {
    case 'never':
      return 'unknown';
    case 'prim':
      return [...s.names].sort().join(' | ');
    case 'array': {
      const inner = render(s.of, indent);
      return /[|&]/.test(inner) ? `Array<${inner}>` : `${inner}[]`;
    }
    case 'object': {
      if (s.fields.size === 0) return 'Record<string, unknown>';
      const next = indent + '  ';
      const lines = [...s.fields].map(([k, f]) => {
        const name = IDENT.test(k) ? k : JSON.stringify(k);
        return `${next}${name}${f.seen < s.count ? '?' : ''}: ${render(f.shape, next)};`;
      });
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    case 'union':
      return s.parts.map((p) => render(p, indent)).join(' | ');
  }
}

/** A TypeScript type (as source text) that every sample value conforms to. */
export function inferType(samples: readonly unknown[]): string {
  return render(samples.map(shapeOf).reduce(merge, NEVER), '');
}

const oneLine = (s: Shape) => render(s, '').replace(/\s+/g, ' ');

function differences(expected: Shape, actual: Shape, path: string, out: string[]): void {
  const where = path || 'the value';
  if (expected.t === 'object' && actual.t === 'object') {
    for (const [k, f] of expected.fields) {
      const seen = actual.fields.get(k);
      const at = path ? `${path}.${k}` : k;
      if (!seen) out.push(`field ${at} is in the samples but in none of the messages`);
      else differences(f.shape, seen.shape, at, out);
    }
    for (const k of actual.fields.keys()) if (!expected.fields.has(k)) out.push(`field ${path ? `${path}.${k}` : k} is in the messages but not in the samples`);
    return;
  }
  if (expected.t === 'array' && actual.t === 'array') return differences(expected.of, actual.of, `${where}[]`, out);
  if (expected.t === 'never' || actual.t === 'never') return;
  const [e, a] = [oneLine(expected), oneLine(actual)];
  if (e !== a) out.push(`${where} is ${e} in the samples but ${a} in the messages`);
}

/**
 * How the shape of `actual` values (real messages) differs from that of `expected` ones (a
 * source's samples), one sentence per field: missing, extra, or of another type. Empty: same shape.
 */
export function shapeDifferences(expected: readonly unknown[], actual: readonly unknown[]): string[] {
  const out: string[] = [];
  differences(expected.map(shapeOf).reduce(merge, NEVER), actual.map(shapeOf).reduce(merge, NEVER), '', out);
  return out;
}
