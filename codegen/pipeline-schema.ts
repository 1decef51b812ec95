/**
 * The pipeline format as one JSON Schema, built here from the same constants
 * the rest of Pipewright uses and from each kind's parameter specs. read.ts
 * validates every pipeline.yaml with it (ajv) and turns ajv's errors into
 * Pipewright's problems; `pipewright schema` writes it out as
 * pipeline.schema.json for editors (yaml-language-server), which then check
 * and complete pipeline.yaml as it is typed.
 *
 * Each schema that stands for a field carries a note (kept beside the
 * schema, not in it): what the field must be and how to fix it, the words
 * of the problem an error in it becomes. An error inside a schema without a
 * note is the problem of the nearest enclosing schema with one.
 */
import { KINDS } from '../runtime/kinds/registry.js';
import type { KindSpec, ParamSpec } from '../runtime/kinds/spec.js';
import { CONNECTION_PROFILE_NAMES, orList, PASSWORD_MECHANISMS, SASL_SSL_PRESET_NAMES } from '../runtime/service/connection.js';
import { CLEANUP_POLICIES, PIPELINE_FORMAT_VERSION } from './pipeline.js';
import { NODE_ID, NODE_ID_MAX, TOPIC_NAME } from './names.js';

export type Path = (string | number)[];
export type JsonSchema = Record<string, unknown>;

/** The words of a problem about a field: PW004 for a wrong value, PW003 for an unknown key, PW005 for a missing one, PW041 for a sample. */
export interface Note {
  /** The field as the problem names it; by default its path, e.g. kafka.profile. */
  field?: string | ((path: Path) => string);
  /** What the value must be, e.g. "a whole number from 1 to 10". */
  expected?: string;
  /** How to fix it, e.g. an example. */
  fix?: string | ((path: Path) => string);
  /** A mapping: how PW003 names it ("kafka", "test 2"). */
  where?: string | ((path: Path) => string);
  /** A mapping with required keys: PW005's example, by key. */
  examples?: Record<string, string>;
  /** A sample event's problems are PW041, with this detail. */
  sample?: string;
}

const notes = new WeakMap<object, Note>();
const note = <S extends JsonSchema>(schema: S, n: Note): S => {
  notes.set(schema, n);
  return schema;
};
export const noteOf = (schema: unknown): Note | undefined => (typeof schema === 'object' && schema !== null ? notes.get(schema) : undefined);

export const TOP_KEYS = ['version', 'pipeline', 'description', 'kafka', 'topics', 'errors', 'delivery', 'deploy', 'nodes', 'tests'];
export const KAFKA_KEYS = [
  'profile',
  'mechanism',
  'preset',
  'customCa',
  'oauth',
  'aws',
  'replicationFactor',
  'bootstrapServers',
  'minInsyncReplicas',
  'strimziCluster',
];
export const NODE_KEYS = ['id', 'kind', 'input', 'label', 'position', 'samples'];
export const AUTOSCALING_KEYS = ['minReplicaCount', 'maxReplicaCount', 'lagThreshold', 'activationLagThreshold'] as const;
/** Lower and upper bounds of each KEDA setting. */
const AUTOSCALING_RANGE: Record<(typeof AUTOSCALING_KEYS)[number], [number, number]> = {
  minReplicaCount: [0, 1000],
  maxReplicaCount: [1, 1000],
  lagThreshold: [1, 1_000_000_000],
  activationLagThreshold: [0, 1_000_000_000],
};
const AUTOSCALING_DOCS: Record<(typeof AUTOSCALING_KEYS)[number], string> = {
  minReplicaCount: 'Fewest replicas; 0 lets KEDA scale the service away while nothing lags (default 1).',
  maxReplicaCount: 'Most replicas; at most the partitions of the topics the group reads (the default).',
  lagThreshold: 'Lag per replica KEDA aims at (default 1000).',
  activationLagThreshold: 'Lag above which KEDA wakes a service scaled to zero (default 0).',
};

/** host:port, or several separated by commas, each port 1–65535 (as names.ts's isBootstrapServers). */
const HOST = '[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*';
const PORT = '(?=\\d{1,5}(?!\\d))0*([1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])';
const SERVER = `\\s*${HOST}:${PORT}\\s*`;
export const BOOTSTRAP_SERVERS_PATTERN = `^${SERVER}(,${SERVER})*$`;
/** Milliseconds since the epoch, or an ISO 8601 date (and time). */
const ISO_DATE = '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:?\\d{2})?)?$';

const text = (description: string) => ({ type: 'string', description });
const wholeNumber = (min: number, max: number, description: string) => ({ type: 'integer', minimum: min, maximum: max, description });
/** A mapping that takes only `properties`; PW003 names it `where`. */
const mapping = (properties: Record<string, JsonSchema>, n: Note & { where: Note['where'] }, extra: JsonSchema = {}) =>
  note({ type: 'object', properties, additionalProperties: false, ...extra }, n);

function kafkaSchema(): JsonSchema {
  const textSettings = (name: string, keys: Record<string, [string, string]>, example: string) =>
    mapping(Object.fromEntries(Object.entries(keys).map(([k, [description, fix]]) => [k, note(text(description), { expected: 'text', fix })])), {
      where: `kafka.${name}`,
      expected: 'a mapping',
      fix: example,
    });
  return mapping(
    {
      profile: note(
        { enum: [...CONNECTION_PROFILE_NAMES], description: 'How the service connects to Kafka (default plaintext).' },
        {
          expected: `one of ${CONNECTION_PROFILE_NAMES.join(', ')}`,
          fix: 'plaintext for local brokers; sasl-ssl for a user name and password (Confluent Cloud, Event Hubs, MSK SCRAM); mtls for a client certificate; aws-msk-iam for MSK with IAM; oauthbearer for OIDC tokens.',
        },
      ),
      mechanism: note(
        { enum: [...PASSWORD_MECHANISMS], description: 'The SASL mechanism of the sasl-ssl profile.' },
        { expected: orList(PASSWORD_MECHANISMS), fix: 'Confluent Cloud and Event Hubs use plain; MSK uses scram-sha-512.' },
      ),
      preset: note(
        { enum: [...SASL_SSL_PRESET_NAMES], description: 'sasl-ssl: the settings of a managed service; its mechanism is plain.' },
        { expected: SASL_SSL_PRESET_NAMES.join(' or '), fix: 'Leave it out for any other cluster and set kafka.mechanism.' },
      ),
      customCa: note(
        { type: 'boolean', description: "TLS profiles: trust the CA in the Secret <pipeline>-kafka-tls (ca.crt) instead of the system's CAs." },
        { expected: 'true or false', fix: "true: the brokers' certificates are signed by your own CA, whose PEM goes into the Secret as ca.crt." },
      ),
      oauth: textSettings(
        'oauth',
        {
          tokenEndpoint: ["The OIDC provider's token URL.", 'e.g. tokenEndpoint: https://login.example.com/oauth2/token'],
          scope: ['The scopes to ask for, comma- or space-separated.', 'e.g. scope: kafka'],
        },
        'e.g. oauth: { tokenEndpoint: https://login.example.com/oauth2/token, scope: kafka }',
      ),
      aws: textSettings(
        'aws',
        {
          region: ["The MSK cluster's region.", 'e.g. region: eu-west-1'],
          roleArn: ['The IAM role of the pods (IRSA).', 'e.g. roleArn: arn:aws:iam::123456789012:role/orders'],
        },
        'e.g. aws: { region: eu-west-1, roleArn: arn:aws:iam::123456789012:role/orders }',
      ),
      replicationFactor: note(wholeNumber(1, 10, 'Replicas of each topic Pipewright creates (default 3).'), {
        expected: 'a whole number from 1 to 10',
        fix: 'Production clusters usually use 3.',
      }),
      bootstrapServers: note(
        {
          type: 'string',
          maxLength: 1000,
          pattern: BOOTSTRAP_SERVERS_PATTERN,
          description: 'The bootstrap servers the deployment connects to (host:port, comma-separated).',
        },
        { expected: 'host:port, or several separated by commas', fix: 'e.g. bootstrapServers: my-cluster-kafka-bootstrap.kafka.svc:9092' },
      ),
      minInsyncReplicas: note(wholeNumber(1, 10, 'min.insync.replicas of the topics Pipewright creates (default: one less than the replicas, at least 1).'), {
        expected: 'a whole number from 1 to 10',
        fix: 'Leave it out for 2 with 3 replicas (one less than the replicas, at least 1).',
      }),
      strimziCluster: note(text('The Strimzi Kafka cluster resource the KafkaTopic resources belong to (default my-cluster).'), {
        expected: 'the name of a Strimzi Kafka resource',
        fix: 'e.g. strimziCluster: my-cluster',
      }),
    },
    { where: 'kafka', expected: 'a mapping', fix: 'e.g. kafka: { profile: plaintext }' },
  );
}

function topicsSchema(): JsonSchema {
  const at = (p: Path) => `topics.${p[1]}`;
  const settings = mapping(
    {
      external: note(
        { type: 'boolean', description: 'Owned by someone else: Pipewright only checks that it exists. The default for topics the pipeline reads.' },
        {
          field: (p) => `${at(p)}.external`,
          expected: 'true or false',
          fix: 'true: someone else owns the topic and Pipewright only checks it exists; false: the pipeline creates it.',
        },
      ),
      retention: note(
        { type: ['string', 'number'], description: 'How long Kafka keeps records: 500ms, 45s, 30m, 12h, 7d, or forever.' },
        { field: (p) => `${at(p)}.retention`, expected: 'a duration', fix: 'e.g. retention: 7d (units ms, s, m, h, d) or retention: forever.' },
      ),
      cleanup: note(
        { enum: [...CLEANUP_POLICIES], description: "Kafka's cleanup.policy." },
        {
          field: (p) => `${at(p)}.cleanup`,
          expected: CLEANUP_POLICIES.join(', or '),
          fix: 'delete drops old records after the retention; compact keeps the latest record per key; compact,delete does both.',
        },
      ),
    },
    { where: at, field: at, expected: 'a mapping', fix: 'e.g. { retention: 7d, cleanup: delete } or { external: true }' },
  );
  return note(
    { type: 'object', additionalProperties: settings, description: 'Settings per topic, by topic name; topics not listed take the defaults.' },
    { expected: 'a mapping from topic name to settings', fix: 'e.g. topics: { orders: { external: true }, large-orders: { retention: 7d } }' },
  );
}

function deploySchema(): JsonSchema {
  return mapping(
    {
      replicas: note(wholeNumber(1, 1000, "A fixed replica count, with autoscaling: none. Defaults to the input topics' partition count."), {
        expected: 'a whole number from 1 to 1000',
        fix: 'Leave it out to run one replica per input partition.',
      }),
      image: note(
        {
          type: 'string',
          pattern: '^[a-z0-9][a-z0-9._\\-/:@]{0,250}$',
          description: "repository[:tag][@digest]; the tag defaults to the generated package's version.",
        },
        { expected: 'a container image reference', fix: 'e.g. registry.example.com/team/orders:1.0.0 (lowercase, no spaces).' },
      ),
      autoscaling: autoscalingSchema(),
      metricsNamespace: note(
        { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$', description: 'The namespace Prometheus scrapes from (default monitoring).' },
        { expected: 'a Kubernetes namespace name', fix: 'e.g. metricsNamespace: monitoring (lowercase letters, digits and "-").' },
      ),
      monitoring: monitoringSchema(),
      livenessTimeoutSeconds: note(wholeNumber(30, 3600, 'Liveness fails when the consumer has not polled or sent a heartbeat for this long (default 120).'), {
        expected: 'a whole number of seconds from 30 to 3600',
        fix: 'It must exceed the longest batch; leave it out for 120.',
      }),
      standbyReplicas: note(wholeNumber(0, 10, "Warm copies of each partition's state on other replicas (default 0)."), {
        expected: 'a whole number from 0 to 10',
        fix: "e.g. standbyReplicas: 1 keeps one warm copy of each partition's state on another replica.",
      }),
    },
    { where: 'deploy', expected: 'a mapping', fix: 'e.g. deploy: { replicas: 3 }' },
  );
}

/** deploy.autoscaling: none, or the mapping of KEDA settings. */
function autoscalingSchema(): JsonSchema {
  const autoscalingMapping = mapping(
    Object.fromEntries(
      AUTOSCALING_KEYS.map((key) => {
        const [min, max] = AUTOSCALING_RANGE[key];
        return [
          key,
          note(wholeNumber(min, max, AUTOSCALING_DOCS[key]), {
            expected: `a whole number from ${min} to ${max}`,
            fix: `e.g. ${key}: ${key === 'lagThreshold' ? 1000 : min === 0 ? 0 : 1}`,
          }),
        ];
      }),
    ),
    { where: 'deploy.autoscaling' },
  );
  return {
    description: 'KEDA scales on lag (the default, tuned by the mapping), or none: a fixed replica count.',
    if: { type: 'object' },
    then: autoscalingMapping,
    else: note(
      { const: 'none' },
      {
        field: 'deploy.autoscaling',
        expected: 'none or a mapping of KEDA settings',
        fix: 'Write autoscaling: none for a fixed replica count, or autoscaling: { minReplicaCount: 1, maxReplicaCount: 6, lagThreshold: 1000 }.',
      },
    ),
  };
}

/** deploy.monitoring: true or false, or a mapping with the labels of the PodMonitor and PrometheusRule. */
function monitoringSchema(): JsonSchema {
  const monitoringMapping = mapping(
    {
      labels: note(
        {
          type: 'object',
          description: 'Labels of the PodMonitor and PrometheusRule, e.g. { release: kube-prometheus-stack }.',
          additionalProperties: note(
            { type: ['string', 'number', 'boolean'] },
            { field: (p) => `deploy.monitoring.labels.${p[3]}`, expected: 'a label value', fix: 'e.g. release: kube-prometheus-stack' },
          ),
        },
        { expected: 'a mapping of label keys to values', fix: 'e.g. labels: { release: kube-prometheus-stack }' },
      ),
    },
    { where: 'deploy.monitoring' },
  );
  return {
    description: 'Generate a PodMonitor, a PrometheusRule and a Grafana dashboard: true, or a mapping of labels for them. Off when left out.',
    if: { type: 'object' },
    then: monitoringMapping,
    else: note(
      { type: 'boolean' },
      {
        field: 'deploy.monitoring',
        expected: 'true, false or a mapping with labels',
        fix: 'monitoring: true generates a PodMonitor, a PrometheusRule and a Grafana dashboard; monitoring: { labels: { release: kube-prometheus-stack } } also labels them for your Prometheus.',
      },
    ),
  };
}

/** A sample event; every problem in it is PW041. */
function sampleSchema(): JsonSchema {
  return note(
    {
      type: 'object',
      required: ['value'],
      additionalProperties: false,
      properties: {
        key: note({ type: ['string', 'number', 'null'], description: 'The record key.' }, { sample: 'key must be text' }),
        value: { description: 'The record value.' },
        timestamp: note(
          { type: ['number', 'string'], pattern: ISO_DATE, description: 'Milliseconds since the epoch, or an ISO date.' },
          { sample: 'timestamp must be milliseconds or an ISO date' },
        ),
        headers: note(
          { type: 'object', additionalProperties: { type: 'string' }, description: 'Header names mapped to text.' },
          { sample: 'headers must map names to text' },
        ),
      },
    },
    { sample: '' },
  );
}

const samplesSchema = (field: string, description: string) =>
  note(
    { type: 'array', items: { $ref: '#/definitions/sample' }, description },
    { field, expected: 'a list of events', fix: 'Write - { key: k1, value: { ... } }' },
  );

function inputSchema(): JsonSchema {
  const fix = 'Write input: other-node, input: [a, b], input: node.port, or input: { port: node }.';
  const refs = {
    if: { type: 'array' },
    then: { type: 'array', items: note({ type: 'string' }, { field: 'input', expected: 'a node id', fix }) },
    else: note({ type: 'string' }, { field: 'input', expected: 'a node id, a list or a mapping of ports', fix }),
  };
  return {
    description: 'The node (node.port) that feeds this one; a list for several, or a mapping from input port to node.',
    if: { type: 'object' },
    then: { type: 'object', additionalProperties: refs },
    else: refs,
  };
}

/** The keys every node has; the rest of a node's keys are its kind's parameters. */
function nodeKeys(kinds: boolean): Record<string, JsonSchema> {
  return {
    id: note(
      kinds
        ? { type: 'string', pattern: NODE_ID.source, maxLength: NODE_ID_MAX, description: 'The node id: lowercase letters, digits and single "-".' }
        : { type: ['string', 'number'], minLength: 1 },
      { field: 'id', expected: 'a name', fix: 'e.g. id: big-orders' },
    ),
    kind: note(kinds ? { enum: KINDS.map((k) => k.kind), description: 'What the node does.' } : { type: 'string' }, {
      field: 'kind',
      expected: 'a kind name',
      fix: 'e.g. kind: filter',
    }),
    input: inputSchema(),
    label: note({ type: 'string', description: 'A label shown on the canvas.' }, { field: 'label', expected: 'text', fix: 'Quote it.' }),
    position: note(
      { type: 'object', required: ['x', 'y'], properties: { x: { type: 'number' }, y: { type: 'number' } }, description: 'Where the designer draws the node.' },
      { field: 'position', expected: 'a mapping { x: number, y: number }', fix: 'e.g. position: { x: 120, y: 40 }' },
    ),
    samples: samplesSchema('samples', 'Sources: example events, used for event types, tests and the simulator.'),
  };
}

/** A kind's parameter as JSON Schema: what validate-pipeline.ts accepts for its type. */
export function paramSchema(p: ParamSpec): JsonSchema {
  const doc: JsonSchema = { title: p.title, description: p.description, ...(p.default !== undefined ? { default: p.default } : {}) };
  const expressionValue = { type: ['string', 'number', 'boolean'] };
  switch (p.type) {
    case 'string':
      return { type: 'string', ...doc };
    case 'topic':
      return { type: 'string', pattern: TOPIC_NAME.source, not: { enum: ['.', '..'] }, ...doc };
    case 'boolean':
      return { type: 'boolean', ...doc };
    case 'integer':
      return { type: 'integer', ...(p.min !== undefined ? { minimum: p.min } : {}), ...(p.max !== undefined ? { maximum: p.max } : {}), ...doc };
    case 'enum':
      return { enum: [...(p.enum ?? [])], ...doc };
    case 'expression':
      return { ...expressionValue, ...doc };
    case 'expressions':
      return { type: 'object', additionalProperties: expressionValue, ...doc };
    case 'list':
      return { type: 'array', items: { type: 'string' }, minItems: 1, ...doc };
    case 'json':
      return { type: p.text ? ['object', 'string'] : 'object', ...doc };
  }
}

/** A node of one kind: the node's keys and the kind's parameters, and nothing else. */
function kindSchema(kind: KindSpec): JsonSchema {
  const params = Object.fromEntries(kind.params.map((p) => [p.name, paramSchema(p)]));
  const required = kind.params.filter((p) => p.required).map((p) => p.name);
  return {
    if: { type: 'object', properties: { kind: { const: kind.kind } }, required: ['kind'] },
    then: {
      type: 'object',
      description: `${kind.title}: ${kind.summary}`,
      properties: { ...Object.fromEntries(NODE_KEYS.map((k) => [k, true])), ...params },
      additionalProperties: false,
      ...(required.length ? { required } : {}),
    },
  };
}

function nodeSchema(kinds: boolean): JsonSchema {
  const node: JsonSchema = {
    type: 'object',
    required: ['id', ...(kinds ? ['kind'] : [])],
    properties: nodeKeys(kinds),
    ...(kinds ? { allOf: KINDS.map(kindSchema) } : {}),
  };
  return note(node, {
    field: (p) => `nodes[${p[1]}]`,
    expected: 'a mapping with id and kind',
    fix: 'Write - id: my-node\n  kind: filter',
    where: (p) => `node ${Number(p[1]) + 1}`,
    examples: { id: 'my-node', kind: 'filter' },
  });
}

function testSchema(): JsonSchema {
  const events = (field: 'input' | 'expect', description: string) =>
    note(
      { type: 'object', additionalProperties: samplesSchema('samples', 'Events, in order.'), description },
      { field, expected: 'a mapping from node id to events', fix: `Write ${field}: { node-id: [ { value: ... } ] }` },
    );
  return mapping(
    {
      name: note({ type: 'string', description: 'What the test checks.' }, { field: 'name', expected: 'text', fix: 'Quote it.' }),
      input: events('input', 'Events per source node id.'),
      expect: events('expect', 'Expected outputs per sink node id, in order per key.'),
      deadLetters: note(
        { type: 'integer', minimum: 0, description: 'Expected number of dead letters; none when left out (unless ignored).' },
        {
          field: 'deadLetters',
          expected: 'a whole number',
          fix: 'The number of events the test expects on the dead-letter topic.',
        },
      ),
      ignore: note(
        { type: 'array', items: { type: 'string' }, description: 'What the test does not check: sink node ids, and dead-letters.' },
        {
          field: 'ignore',
          expected: 'a list of sink node ids (or dead-letters)',
          fix: 'Write ignore: [ sink-id, dead-letters ] for what the test does not check.',
        },
      ),
    },
    {
      where: (p) => `test ${Number(p[1]) + 1}`,
      field: (p) => `tests[${p[1]}]`,
      expected: 'a mapping with name, input and expect',
      fix: 'Write - name: ...\n  input: { source-id: [...] }\n  expect: { sink-id: [...] }',
    },
  );
}

/**
 * The schema of pipeline.yaml. With `kinds` (the written file), each node is
 * also checked against its kind's parameters and ids and kinds against their
 * names; without (reading), those are left to validate-pipeline.ts, which checks the
 * designer's pipelines too and says more (a suggestion for a kind, the
 * kind's own checks).
 */
export function pipelineSchema(options: { kinds?: boolean } = {}): JsonSchema {
  const kinds = options.kinds === true;
  return note(
    {
      $schema: 'http://json-schema.org/draft-07/schema#',
      ...(kinds
        ? {
            $id: 'https://pipewright.dev/pipeline.schema.json',
            title: 'Pipewright pipeline',
            description: `pipeline.yaml, format version ${PIPELINE_FORMAT_VERSION}.`,
          }
        : {}),
      type: 'object',
      required: ['nodes'],
      additionalProperties: false,
      definitions: { sample: sampleSchema() },
      properties: {
        version: note(
          { type: 'integer', minimum: 1, maximum: PIPELINE_FORMAT_VERSION, description: 'The format version (1 when left out).' },
          {
            expected: `a format version (1 to ${PIPELINE_FORMAT_VERSION})`,
            fix: `Write version: ${PIPELINE_FORMAT_VERSION}, or remove the field.`,
          },
        ),
        pipeline: note(
          kinds
            ? {
                type: 'string',
                pattern: '^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$',
                description: 'The pipeline name: lowercase letters, digits and "-", at most 40 characters.',
              }
            : { type: 'string' },
          { expected: 'a name', fix: 'Write the pipeline name, e.g. pipeline: orders-enricher' },
        ),
        description: note(text('What the pipeline does.'), { expected: 'text', fix: 'Quote it.' }),
        kafka: kafkaSchema(),
        topics: topicsSchema(),
        errors: mapping(
          {
            policy: note(
              { enum: ['dead-letter', 'skip', 'fail'], description: 'What happens to an event that fails (default dead-letter).' },
              {
                expected: 'dead-letter, skip or fail',
                fix: 'dead-letter keeps failed events on a topic; skip drops them; fail stops the service.',
              },
            ),
            topic: note(text('The dead-letter topic (default <pipeline>.dead-letter).'), { expected: 'a topic name', fix: 'e.g. topic: orders.dead-letter' }),
          },
          { where: 'errors', expected: 'a mapping', fix: 'e.g. errors: { policy: dead-letter }' },
        ),
        delivery: note(
          { enum: ['at-least-once', 'exactly-once'], description: 'at-least-once when left out.' },
          {
            expected: 'at-least-once or exactly-once',
            fix: 'exactly-once commits outputs, state and offsets in one Kafka transaction; consumers downstream read with isolation.level=read_committed.',
          },
        ),
        deploy: deploySchema(),
        nodes: note(
          { type: 'array', items: nodeSchema(kinds), description: 'The nodes: sources, transforms and sinks.' },
          { expected: 'a list of nodes', fix: 'Write each node as a list item starting with "- id: ...".' },
        ),
        tests: note(
          { type: 'array', items: testSchema(), description: "The pipeline's tests." },
          { expected: 'a list of tests', fix: 'Write each test as a list item starting with "- name: ...".' },
        ),
      },
    },
    { where: 'the pipeline', examples: { nodes: '[ { id: orders, kind: kafka-source, topic: orders } ]' } },
  );
}

/** pipeline.schema.json: the schema with every kind's parameters, for editors. */
export function pipelineSchemaJson(): string {
  return JSON.stringify(pipelineSchema({ kinds: true }), null, 2) + '\n';
}
