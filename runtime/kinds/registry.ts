/**
 * Every node kind Pipewright knows, in palette order. Adding a kind means
 * writing its file and listing it here; nothing else restates its spec.
 */
import { aggregate } from './aggregate.js';
import { branch } from './branch.js';
import { dedupe } from './dedupe.js';
import { filter } from './filter.js';
import { flatMap } from './flat-map.js';
import { generator } from './generator.js';
import { httpIngest } from './http-ingest.js';
import { httpSink } from './http-sink.js';
import { join } from './join.js';
import { kafkaSink } from './kafka-sink.js';
import { kafkaSource } from './kafka-source.js';
import { logSink } from './log-sink.js';
import { map } from './map.js';
import { postgresSink } from './postgres-sink.js';
import { selectKey } from './select-key.js';
import { table } from './table.js';
import { model } from './model.js';
import type { KindSpec } from './spec.js';
import { validate } from './validate.js';
import { windowKind } from './window.js';

export const KINDS: readonly KindSpec[] = [
  kafkaSource,
  table,
  httpIngest,
  generator,
  filter,
  map,
  flatMap,
  selectKey,
  branch,
  windowKind,
  aggregate,
  join,
  dedupe,
  validate,
  model,
  kafkaSink,
  postgresSink,
  httpSink,
  logSink,
];

const byName = new Map(KINDS.map((k) => [k.kind, k]));

export function getKind(kind: string): KindSpec | undefined {
  return byName.get(kind);
}

export function kindNames(): string[] {
  return KINDS.map((k) => k.kind);
}
