/**
 * The Pipeline: the single source of truth. YAML is how it is stored, the
 * designer's canvas is a view of it, and the generated repository is a
 * function of it.
 */
import type { ErrorPolicy } from '../runtime/engine/graph.js';

export const PIPELINE_FORMAT_VERSION = 1;

export type ConnectionProfile = 'plaintext' | 'sasl-ssl';
export type SaslMechanismName = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface SampleEvent {
  key?: string | null;
  value: unknown;
  /** Milliseconds since the epoch; defaults to the test's clock. */
  timestamp?: number;
  headers?: Record<string, string>;
}

/** One input of a node: which node and output port feeds which input port. */
export interface NodeInput {
  port: string;
  from: string;
  fromPort: string;
}

export interface PipelineNode {
  id: string;
  kind: string;
  /** Parameter values as written; defaults are not filled in, so YAML stays short. */
  params: Record<string, unknown>;
  inputs: NodeInput[];
  label?: string;
  position?: { x: number; y: number };
  /** Sources: example events, used for event types, tests and the simulator. */
  samples?: SampleEvent[];
}

export interface PipelineTest {
  name: string;
  /** Events per source node id. */
  input: Record<string, SampleEvent[]>;
  /** Expected outputs per sink node id, in order per key. */
  expect: Record<string, SampleEvent[]>;
  /** Expected number of dead letters, when the test checks them. */
  deadLetters?: number;
}

export interface Pipeline {
  name: string;
  description?: string;
  kafka: {
    profile: ConnectionProfile;
    mechanism: SaslMechanismName;
    replicationFactor: number;
  };
  errors: { policy: ErrorPolicy; topic?: string };
  deploy: {
    /** Defaults to the input topics' partition count. */
    replicas?: number;
    image?: string;
  };
  nodes: PipelineNode[];
  tests: PipelineTest[];
}

export function emptyPipeline(name = 'my-pipeline'): Pipeline {
  return {
    name,
    kafka: { profile: 'plaintext', mechanism: 'scram-sha-512', replicationFactor: 3 },
    errors: { policy: 'dead-letter' },
    deploy: {},
    nodes: [],
    tests: [],
  };
}

export function deadLetterTopic(p: Pipeline): string {
  return p.errors.topic ?? `${p.name}.dead-letter`;
}

/**
 * Where a node stood in the file it was read from, kept off the enumerable
 * properties so it never reaches YAML or equality checks. Problems found
 * after reading use it to point at the right list item.
 */
const SOURCE_INDEX = Symbol('sourceIndex');

export function setSourceIndex(node: PipelineNode, index: number): void {
  Object.defineProperty(node, SOURCE_INDEX, { value: index, enumerable: false, configurable: true });
}

export function nodePath(node: PipelineNode, index: number): (string | number)[] {
  return ['nodes', (node as unknown as Record<symbol, number | undefined>)[SOURCE_INDEX] ?? index];
}
