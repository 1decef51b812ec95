/**
 * How the messages on a topic differ in shape from a source's sample events: the fields each side
 * has that the other lacks, and fields whose types differ. The same merged shapes feed completion
 * in expressions (designer/model/fields.ts), so what this reports is what completion would change.
 */
import { mergeShape, type Shape } from '../model/fields.js';

const shapeOf = (values: readonly unknown[]): Shape => {
  const shape: Shape = { types: new Set(), fields: new Map() };
  for (const v of values) mergeShape(shape, v);
  return shape;
};

const typesText = (s: Shape) => [...s.types].sort().join(' | ');

function compare(mine: Shape, real: Shape, path: string, out: string[]): void {
  const where = path || 'the value';
  // Objects are compared field by field; a field holding sometimes null is still the same field.
  const mineTypes = typesText(mine);
  const realTypes = typesText(real);
  if (mineTypes !== realTypes && !(mine.types.has('object') && real.types.has('object'))) {
    out.push(`${where}: the samples have ${mineTypes}, the topic has ${realTypes}`);
    return;
  }
  for (const [name, child] of real.fields) {
    const at = path ? `${path}.${name}` : `value.${name}`;
    const other = mine.fields.get(name);
    if (!other) out.push(`${at}: on the topic, not in the samples (${typesText(child)})`);
    else compare(other, child, at, out);
  }
  for (const name of mine.fields.keys()) {
    if (!real.fields.has(name)) out.push(`${path ? `${path}.${name}` : `value.${name}`}: in the samples, not on the topic`);
  }
}

/** Differences between the sample values and the topic's values, one line each; none when they agree or there were no samples. */
export function sampleMismatch(samples: readonly unknown[] | undefined, real: readonly unknown[]): string[] {
  if (!samples?.length || real.length === 0) return [];
  const out: string[] = [];
  compare(shapeOf(samples), shapeOf(real), '', out);
  return out;
}
