/**
 * What the inspector reads from what the user types, apart from the form:
 * lists, YAML or JSON values, sample events, and which problems belong to
 * which field. Pure functions; the fields in param-inputs.tsx and
 * Inspector.tsx show their results.
 */
import type { Problem } from '../../codegen/errors.js';
import type { SampleEvent } from '../../codegen/pipeline.js';
import { parse as parseYaml } from 'yaml';

/** Problems about one node, split into those about a field and the rest. */
export function problemsOfNode(problems: readonly Problem[], nodeId: string): { byField: Map<string, Problem[]>; general: Problem[] } {
  const byField = new Map<string, Problem[]>();
  const general: Problem[] = [];
  for (const p of problems) {
    if (p.nodeId !== nodeId) continue;
    const field = p.path.length >= 3 && typeof p.path[2] === 'string' ? p.path[2] : undefined;
    if (field && field !== 'input') (byField.get(field) ?? byField.set(field, []).get(field)!).push(p);
    else general.push(p);
  }
  return { byField, general };
}

export function parseList(text: string): string[] {
  return text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

export function readJsonText(text: string): { value?: unknown; error?: string } {
  if (text.trim() === '') return { value: undefined };
  try {
    return { value: parseYaml(text) as unknown };
  } catch (e) {
    return { error: `Not valid YAML or JSON: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Samples are edited as JSON; a draft that does not parse stays a draft, with the reason shown. */
export function parseSamples(text: string): { samples?: SampleEvent[]; error?: string } {
  if (text.trim() === '') return { samples: undefined };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (!Array.isArray(v)) return { error: 'Write a JSON list of events: [{ "key": "k1", "value": { … } }].' };
  for (const [i, ev] of (v as unknown[]).entries()) {
    if (typeof ev !== 'object' || ev === null || Array.isArray(ev) || !('value' in ev)) {
      return { error: `Event ${i + 1} must be an object with "value", e.g. { "key": "k1", "value": { "amount": 3 } }.` };
    }
    const extra = Object.keys(ev).filter((k) => !['key', 'value', 'timestamp', 'headers'].includes(k));
    if (extra.length) return { error: `Event ${i + 1} has unknown field "${extra[0]}"; use key, value, timestamp, headers.` };
  }
  // Fields in the order the YAML reader gives them, so the canvas holds what a reopened file would.
  return {
    samples: (v as Record<string, unknown>[]).map((ev) => {
      const s: Record<string, unknown> = { value: ev.value };
      for (const k of ['key', 'timestamp', 'headers']) if (k in ev) s[k] = ev[k];
      return s as unknown as SampleEvent;
    }),
  };
}
