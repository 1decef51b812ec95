/**
 * Every node kind Pipewright knows, in palette order. Adding a kind means
 * writing its file and listing it here; nothing else restates its spec.
 */
import { filter } from './filter.js';
import { kafkaSink } from './kafka-sink.js';
import { kafkaSource } from './kafka-source.js';
import { map } from './map.js';
import { model } from './model.js';
import type { KindSpec } from './spec.js';

export const KINDS: readonly KindSpec[] = [kafkaSource, filter, map, model, kafkaSink];

const byName = new Map(KINDS.map((k) => [k.kind, k]));

export function getKind(kind: string): KindSpec | undefined {
  return byName.get(kind);
}

export function kindNames(): string[] {
  return KINDS.map((k) => k.kind);
}
