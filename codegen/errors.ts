/**
 * Every problem Pipewright reports, in one table. Each entry says what is
 * wrong and how to fix it; where (file, line, column, node id) is added by
 * whoever finds it. The CLI, the designer's problems panel and the tests all
 * read messages from here.
 */
import { KIND_PROBLEM_CODES as KIND_CODES } from '../runtime/kinds/spec.js';

export type Severity = 'error' | 'warning';

export interface Problem {
  code: keyof typeof PROBLEMS;
  severity: Severity;
  message: string;
  hint: string;
  /** Path inside the pipeline, e.g. ['nodes', 2, 'where']. */
  path: (string | number)[];
  nodeId?: string;
  /** 1-based, when the pipeline came from a file. */
  line?: number;
  column?: number;
}

type Args = Record<string, string | number>;
interface Entry {
  severity: Severity;
  message: (a: Args) => string;
  hint: (a: Args) => string;
}

const e = (message: Entry['message'], hint: Entry['hint']): Entry => ({ severity: 'error', message, hint });
const w = (message: Entry['message'], hint: Entry['hint']): Entry => ({ severity: 'warning', message, hint });

export const PROBLEMS = {
  PW001: e(
    (a) => `The file is not valid YAML: ${a.detail}`,
    () => 'Fix the YAML syntax at the position shown (indentation, quotes, colons).',
  ),
  PW002: e(
    () => 'The pipeline must be a YAML mapping with "pipeline" and "nodes".',
    () => 'Start from an example in examples/ or run "pipewright init".',
  ),
  PW003: e(
    (a) => `Unknown field "${a.field}" in ${a.where}.`,
    (a) => `Remove it, or use one of: ${a.known}.`,
  ),
  PW004: e(
    (a) => `"${a.field}" must be ${a.expected}, not ${a.actual}.`,
    (a) => `${a.fix}`,
  ),
  PW005: e(
    (a) => `"${a.field}" is required in ${a.where}.`,
    (a) => `Add ${a.field}: ${a.example}`,
  ),
  PW006: e(
    (a) => `The file is pipeline format version ${a.version}, newer than this Pipewright reads (version ${a.current}).`,
    (a) =>
      `Open it with the newer Pipewright that wrote it, or update this one (npm install pipewright@latest). If it uses nothing new, setting version: ${a.current} opens it here.`,
  ),
  PW007: e(
    (a) => `The file is pipeline format version ${a.version}, and this Pipewright has no upgrade from it to version ${a.current}.`,
    () => 'This is a bug in Pipewright, not in your pipeline; please report it with the file.',
  ),
  PW009: e(
    (a) => `Node id "${a.id}" gives the TypeScript type name ${a.type}, which is already ${a.other}.`,
    () => 'Rename the node: ids that differ only by a "-" before a digit (a-1, a1), or the id "unknown", clash in the generated code.',
  ),
  PW010: e(
    (a) => `Pipeline name "${a.name}" is not a valid Kubernetes name.`,
    () => 'Use lowercase letters, digits and "-", starting with a letter, at most 40 characters (RFC 1123), e.g. orders-enricher.',
  ),
  PW011: e(
    (a) => `Node id "${a.id}" is not valid.`,
    () => 'Use lowercase letters, digits and single "-" between them, starting with a letter, at most 40 characters, e.g. big-orders.',
  ),
  PW012: e(
    (a) => `Node id "${a.id}" is used more than once.`,
    () => 'Give every node its own id.',
  ),
  PW013: e(
    (a) => `Unknown node kind "${a.kind}".`,
    (a) => (a.suggestion ? `Did you mean "${a.suggestion}"? Known kinds: ${a.known}.` : `Known kinds: ${a.known}.`),
  ),
  PW014: e(
    (a) => `Unknown parameter "${a.param}" for a ${a.kind} node.`,
    (a) => (a.known ? `Parameters of ${a.kind}: ${a.known}.` : `${a.kind} takes no parameters.`),
  ),
  PW015: e(
    (a) => `Parameter "${a.param}" of ${a.kind} must be ${a.expected}.`,
    (a) => `${a.fix}`,
  ),
  PW016: e(
    (a) => `Parameter "${a.param}" of ${a.kind} is required.`,
    (a) => `Add ${a.param}: ${a.example}`,
  ),
  PW017: e(
    (a) => `Topic name "${a.topic}" is not a valid Kafka topic name.`,
    () => 'Use letters, digits, ".", "_" and "-" only, at most 200 characters, and not "." or "..".',
  ),
  PW018: e(
    (a) => `The files "${a.first}" and "${a.second}" would both become ${a.target} in the generated repository.`,
    () => 'Give the files different names (the repository keeps their base names, in lower case).',
  ),
  PW019: e(
    (a) => `"${a.name}" is not a valid name for an entry of ${a.param}.`,
    () => 'Use lowercase letters, digits and single "-" between them, starting with a letter, e.g. accepted; "error" is reserved.',
  ),
  PW020: e(
    (a) => `Node "${a.id}" reads from "${a.from}", which does not exist.`,
    (a) => (a.suggestion ? `Did you mean "${a.suggestion}"?` : 'Point "input" at the id of another node.'),
  ),
  PW021: e(
    (a) => `Node "${a.id}" reads port "${a.port}" of "${a.from}", which has no such output.`,
    (a) => `Outputs of "${a.from}": ${a.ports}.`,
  ),
  PW022: e(
    (a) => `Node "${a.id}" (${a.kind}) has no input.`,
    (a) => `Add input: <id of the node that feeds it>, e.g. input: ${a.example}`,
  ),
  PW023: e(
    (a) => `A ${a.kind} node is a source and takes no input.`,
    () => 'Remove "input" from this node.',
  ),
  PW024: e(
    (a) => `Node "${a.id}" has no input port "${a.port}".`,
    (a) => `Input ports of ${a.kind}: ${a.ports}.`,
  ),
  PW025: e(
    (a) => `The pipeline has a cycle: ${a.cycle}.`,
    () => 'Events must flow one way. Remove one of the inputs in the cycle.',
  ),
  PW026: e(
    (a) => `Node "${a.id}" reads from itself.`,
    () => 'Point "input" at another node.',
  ),
  PW027: e(
    () => 'The pipeline has no source.',
    () => 'Add a source node, e.g. kind: kafka-source with a topic.',
  ),
  PW028: w(
    (a) => `The output of "${a.id}" goes nowhere.`,
    () => 'Connect it to a sink, or remove the node.',
  ),
  PW029: e(
    (a) => `Topic "${a.topic}" is both read and written by this pipeline.`,
    () => 'Write to another topic; a service that consumes its own output loops forever.',
  ),
  PW030: e(
    (a) => `The expression is not valid TypeScript: ${a.detail}`,
    () => 'Write exactly one TypeScript expression, e.g. value.amount > 100.',
  ),
  PW031: e(
    () => 'The expression is more than one expression or statement.',
    () => 'Write exactly one expression. Combine conditions with && or ||; for several steps use more nodes.',
  ),
  PW032: e(
    () => 'The expression is a block, not an object.',
    () => 'Wrap an object literal in parentheses: ({ id: value.id }).',
  ),
  PW033: e(
    (a) => `The expression uses "${a.what}", which is not allowed here.`,
    () => 'Expressions are synchronous and return a value; move asynchronous work to a sink or model node.',
  ),
  PW034: e(
    (a) => `The expression does not type-check: ${a.detail}`,
    (a) => `${a.fix}`,
  ),
  PW035: e(
    () => 'The expression is empty.',
    (a) => `Write an expression, e.g. ${a.example}`,
  ),
  PW039: e(
    (a) => `kafka.strimziCluster "${a.name}" is not a valid Kubernetes label value for strimzi.io/cluster.`,
    () => 'Use the name of your Strimzi Kafka resource: lowercase letters, digits and "-", at most 63 characters, e.g. my-cluster.',
  ),
  PW040: e(
    (a) => `Test "${a.test}" refers to "${a.id}", which is not a ${a.role} node.`,
    (a) => `Use the id of a ${a.role} node: ${a.known}.`,
  ),
  PW047: e(
    (a) => `Test "${a.test}" ignores "${a.id}", which is neither a sink node nor dead-letters.`,
    (a) =>
      `${a.suggestion ? `Did you mean "${a.suggestion}"? ` : ''}List in ignore only what the test does not check: a sink node (${a.known}) or dead-letters.`,
  ),
  PW048: e(
    (a) => `Test "${a.test}" both ${a.what} and ignores it.`,
    () => 'A test either checks a sink (expect, deadLetters) or ignores it; drop one of the two.',
  ),
  PW049: e(
    (a) => `Test "${a.test}" ignores sink "${a.id}" but checks sink "${a.other}", and both write topic "${a.topic}".`,
    (a) => `A test checks a topic as a whole: ignore both ${a.id} and ${a.other}, or neither.`,
  ),
  PW041: e(
    (a) => `A sample event must be a mapping with "value"${a.detail ? `: ${a.detail}` : ''}.`,
    () => 'Write it as - { key: "k1", value: { ... } }.',
  ),
  PW045: e(
    (a) =>
      `deploy.standbyReplicas is ${a.standbys}, but at most ${a.replicas} replica(s) run: a standby copy lives on a replica other than the partition's owner.`,
    (a) =>
      Number(a.replicas) > 1
        ? `Use at most ${Number(a.replicas) - 1}, or run more replicas.`
        : 'Run two replicas or more (deploy.replicas with autoscaling: none, or autoscaling.maxReplicaCount), or leave standbyReplicas out.',
  ),
  PW046: w(
    () => 'deploy.standbyReplicas has no effect: no node of this pipeline keeps state.',
    () => 'Standby copies are of the state of windows, aggregates, joins, dedupe and select-key; leave standbyReplicas out.',
  ),
  PW042: w(
    (a) => `deploy.replicas is ${a.replicas}, but the input topics have only ${a.partitions} partition(s); the extra consumers would sit idle.`,
    (a) => `The generated Deployment runs ${a.partitions}. Raise the source's partitions to scale further.`,
  ),
  PW043: e(
    (a) => `Test "${a.test}" fails: ${a.detail}.`,
    () => 'The Tests tab shows what the test expects and what the pipeline produced, key by key. Fix the pipeline, or the test if the new output is right.',
  ),
  PW044: e(
    (a) => `Test "${a.test}" could not run: ${a.detail}`,
    () => 'Fix what the message names; the Tests tab runs the tests again after every edit.',
  ),
  PW060: e(
    (a) => `deploy.autoscaling.maxReplicaCount is ${a.max}, but the topics the consumer group reads have only ${a.partitions} partition(s).`,
    (a) =>
      `Set maxReplicaCount to at most ${a.partitions} (or leave it out); raise the sources' partitions to scale further. More consumers than partitions sit idle.`,
  ),
  PW061: e(
    (a) => `deploy.autoscaling.minReplicaCount (${a.min}) is more than maxReplicaCount (${a.max}).`,
    () => 'Make minReplicaCount at most maxReplicaCount.',
  ),
  PW062: w(
    (a) => `deploy.replicas (${a.replicas}) has no effect while KEDA sets the replica count.`,
    () => 'Use deploy.autoscaling.minReplicaCount and maxReplicaCount, or set autoscaling: none to run a fixed number of replicas.',
  ),
  PW063: e(
    (a) => `deploy.image "${a.image}" uses the moving tag "latest"; every node could run a different build.`,
    () => 'Tag each build with a version, e.g. registry.example.com/team/orders:1.0.0, or leave the tag out to use the package version.',
  ),
  PW071: e(
    (a) => `"${a.topic}" under topics is not a topic of this pipeline.`,
    (a) => (a.suggestion ? `Did you mean "${a.suggestion}"? The pipeline's topics: ${a.known}.` : `The pipeline's topics: ${a.known}.`),
  ),
  PW072: e(
    (a) => `Topic "${a.topic}" cannot be external: the pipeline ${a.why}.`,
    () => 'Remove "external" from it; only topics the pipeline reads from a kafka-source can belong to someone else.',
  ),
  PW073: e(
    (a) => `Topic "${a.topic}" is external, so its ${a.field} is not the pipeline's to set.`,
    () => 'Remove the setting, or set external: false so that the pipeline creates and owns the topic.',
  ),
  PW074: e(
    (a) => `"${a.value}" is not a retention for topic "${a.topic}".`,
    () => 'Write a whole number and a unit: 500ms, 45s, 30m, 12h, 7d; or forever.',
  ),
  PW075: e(
    (a) => `Topic "${a.topic}" holds the state of node "${a.id}" and must be compacted, not "${a.cleanup}".`,
    () => 'Remove cleanup (or set compact): with delete, state older than the retention would be lost on the next restore.',
  ),
  PW076: e(
    (a) => `kafka.minInsyncReplicas is ${a.min}, more than the replication factor ${a.rf}: no write could ever succeed.`,
    (a) => `Use at most ${a.rf}; ${a.recommended} lets one broker be down.`,
  ),
  PW077: w(
    (a) => `kafka.minInsyncReplicas equals the replication factor (${a.rf}): while any one broker is down, every write fails.`,
    (a) => `Use ${a.recommended} (one less than the replicas) to keep writing through a broker restart.`,
  ),
  PW080: e(
    (a) => `kafka.${a.field} is for ${a.usedBy}, and kafka.profile is ${a.profile}.`,
    (a) => `Remove kafka.${a.field}, or set kafka.profile: ${a.fix}.`,
  ),
  PW081: e(
    (a) => `${a.what} needs ${a.field}.`,
    (a) => `${a.hint}`,
  ),
  PW082: e(
    (a) => `kafka.preset ${a.preset} uses SASL/PLAIN, not ${a.mechanism}.`,
    () => 'Remove kafka.mechanism: the preset sets plain.',
  ),
  PW083: e(
    (a) => `kafka.bootstrapServers names port ${a.port}, and ${a.service} listens on ${a.expected}.`,
    (a) => `Use ${a.example}.`,
  ),
  PW084: e(
    (a) => `kafka.aws.roleArn "${a.value}" is not the ARN of an IAM role.`,
    () => 'Use the ARN of the role the pods take (IRSA), e.g. roleArn: arn:aws:iam::123456789012:role/orders-pipeline.',
  ),
  PW085: e(
    (a) => `kafka.aws.region "${a.value}" is not an AWS region.`,
    () => "Use the MSK cluster's region, e.g. region: eu-west-1.",
  ),
  PW086: e(
    (a) => `kafka.oauth.tokenEndpoint "${a.value}" is not an http(s) URL.`,
    () => "Use the OIDC provider's token URL, e.g. tokenEndpoint: https://login.example.com/oauth2/token.",
  ),
  PW087: w(
    () => 'kafka.oauth.tokenEndpoint is an http:// URL: the client secret would cross the network unencrypted.',
    () => "Use the provider's https:// token URL.",
  ),
  PW088: e(
    (a) => `kafka.oauth.scope "${a.value}" is not a list of OAuth scopes.`,
    () => 'Separate scopes with commas or spaces; a scope is printable ASCII without quotes or backslashes, e.g. scope: kafka.read,kafka.write.',
  ),
  PW089: w(
    (a) => `kafka.bootstrapServers names port ${a.port}, and Amazon MSK's IAM listener is on 9098 (9198 from outside the VPC).`,
    () => 'Use the bootstrap brokers MSK lists for IAM (aws kafka get-bootstrap-brokers), e.g. b-1.my-cluster.abc123.c2.kafka.eu-west-1.amazonaws.com:9098.',
  ),
  PW090: e(
    (a) => `deploy.monitoring.labels has the key "${a.key}", which is not a Kubernetes label key.`,
    () =>
      'Use an optional DNS-subdomain prefix and "/", then a name of at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit, e.g. release or example.com/team.',
  ),
  PW091: e(
    (a) => `deploy.monitoring.labels.${a.key} is ${a.value}, which is not a Kubernetes label value.`,
    () => 'Use at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit, e.g. release: kube-prometheus-stack.',
  ),
  PW092: e(
    (a) => `deploy.monitoring.labels sets "${a.key}", which Pipewright sets itself on every object.`,
    () => 'Remove it: the app.kubernetes.io labels name the pipeline and select its pods.',
  ),
  PW095: e(
    (a) => `The generated repository's package-lock.json cannot be made: ${a.detail}.`,
    () =>
      "The generated package.json pins the packages Pipewright itself installs, and its lock is cut from Pipewright's own package-lock.json. This is a bug in Pipewright, not in your pipeline: add the package at that version to Pipewright's package.json, run npm install, and generate again.",
  ),
  // Running aggregations (aggregate) and updates of windows: the message and hint come from the kind.
  PW100: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW101: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW102: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  // Durations and windows (time.ts, window.ts): the message and hint come from the kind.
  PW104: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW105: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW106: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW107: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW103: w(
    (a) => `Topic "${a.topic}" holds the table of node "${a.id}" (the latest value per key) and is not compacted ("${a.cleanup}").`,
    () =>
      'Remove cleanup (or set compact): with delete, keys that stop changing disappear from the topic after the retention, and a reader that rebuilds the table from it misses them.',
  ),
  PW110: e(
    (a) => `Node "${a.id}" (${a.kind}) reads a table's changes from "${a.from}", deletes among them, and a ${a.kind} takes events, not changes.`,
    () =>
      "Join the table with a stream (join, table on other) and put this node after the join; or read the topic with a kafka-source to take its records as events. Only filter, map, join, kafka-sink and log take a table's changes.",
  ),
  PW111: e(
    (a) => `Join "${a.id}" looks rows up in table "${a.table}" by the event key, so it takes no "on".`,
    (a) =>
      `Remove on and re-key the stream with a select-key before the join (key: the field on gave), so that it is co-partitioned with "${a.table}"; or read the table's topic with a kafka-source, which every replica reads in full and looks up by on.`,
  ),
  PW112: e(
    (a) => `Join "${a.id}" gets the changes of a table on "in" from "${a.from}", which is not a table node joined with a table node on "other".`,
    (a) =>
      `For a table–table join, wire the table node itself to "in" and a table node to "other", and put "${a.from}"'s filter or map after the join; to enrich a stream, wire a stream (a kafka-source) to "in".`,
  ),
  PW113: e(
    (a) => `Join "${a.id}" gets a table's changes on "other" from "${a.from}", not from the table node itself, so it has no rows to look up.`,
    (a) => `Wire the table node straight to "other" and move "${a.from}" after the join (its filter or map works on the joined rows).`,
  ),
  PW114: e(
    (a) =>
      `Join "${a.id}" is not co-partitioned: "${a.left}" (${a.leftTable}) has ${a.leftPartitions} partition(s) and table "${a.right}" has ${a.rightPartitions}.`,
    (a) =>
      `A join looks a key's row up in the table partition of the same number, so both sides need the same partitions: set partitions: ${a.rightPartitions} on "${a.left}"'s source (or on a select-key before the join), or partitions: ${a.leftPartitions} on "${a.right}" if its topic has them.`,
  ),
  PW115: e(
    (a) => `Join "${a.id}" is a stream–stream join (mode: stream), and "${a.from}" is a table's changes.`,
    () => 'Use mode: table (the default) to join with a table: a stream on in enriched from a table node on other, or two table nodes.',
  ),
  PW116: e(
    (a) => `Kafka sink "${a.id}" writes a table's changes with its own key expression, but a delete has no value to compute a key from.`,
    () =>
      "Remove key: a table's changes keep their row key, so a tombstone deletes the row it names. To key by another field, re-key the events before they become a table.",
  ),
  PW117: e(
    (a) => `Table "${a.id}" reads topic "${a.topic}", which table "${a.first}" already reads.`,
    (a) => `Wire "${a.first}" to every node that needs the table and remove "${a.id}": a table's rows are kept once per topic.`,
  ),
  PW118: e(
    (a) => `Topic "${a.topic}" is the table of node "${a.id}" and must be compacted, not "${a.cleanup}".`,
    () =>
      'Remove cleanup (or set compact): with delete, rows older than the retention would be gone from the topic, and from the table after its next restore.',
  ),
  // A kind's own checks of its parameters (its validate), by kind: the message and hint come from the kind.
  // Branch: no route (PW120), a route named default (PW121). Join: `as` not a field name (PW122), `on` in a
  // stream–stream join (PW123). Generator: a template that does not work (PW124), a key field not in it (PW125).
  // An environment variable name that is not one (PW126). HTTP ingest: an API key header (PW127), a path
  // that is not one (PW128) or the service's own (PW129). PostgreSQL: a table name (PW130), a column name
  // (PW131), a column named twice (PW132), a key column not written (PW133).
  PW120: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW121: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW122: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW123: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW124: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW125: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW126: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW127: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW128: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW129: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW130: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW131: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW132: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW133: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  // Schema Registry formats: a sample that does not fit its Avro, JSON Schema or Protobuf schema (PW119); a schema missing or not valid (PW134).
  PW119: e(
    (a) => `Sample ${a.index} of source "${a.id}" does not fit its ${a.schema ?? 'Avro'} schema: ${a.detail}.`,
    () => 'Fix the sample (field names and types as the schema says), or the schema if the sample is right: the events on the topic are read with this schema.',
  ),
  PW134: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  // The model kind's output fields (PW140), http endpoint (PW141), model file (PW142) and input mapping (PW143);
  // the validate kind's JSON Schema (PW144); the HTTP sink's url (PW145) and authEnv (PW146): the kinds' own words.
  PW140: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW141: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW142: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW143: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW144: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW145: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  PW146: e(
    (a) => `${a.message}`,
    (a) => `${a.hint}`,
  ),
  // Two http-ingest nodes on one path.
  PW147: e(
    (a) => `Nodes "${a.first}" and "${a.second}" both take POST ${a.path}.`,
    () => 'Give each http-ingest node its own path.',
  ),
  PW050: e(
    (a) => `Generated code does not compile: ${a.detail}`,
    () => 'This is a bug in Pipewright, not in your pipeline; please report it with the pipeline.',
  ),
  PW051: e(
    (a) => `The pipeline could not be checked: ${a.detail}`,
    () =>
      'This is a bug in Pipewright, not in your pipeline; please report it with the pipeline. Until then, run pipewright validate on the exported pipeline.yaml.',
  ),
} satisfies Record<string, Entry>;

export type ProblemCode = keyof typeof PROBLEMS;

/** Every code a kind's own `validate` may give is in the table above. */
export const KIND_PROBLEM_CODES = KIND_CODES satisfies readonly ProblemCode[];

export function problem(code: ProblemCode, args: Args, path: (string | number)[], nodeId?: string): Problem {
  const entry: Entry = PROBLEMS[code];
  return { code, severity: entry.severity, message: entry.message(args), hint: entry.hint(args), path, nodeId };
}

/** The closest candidate within a small edit distance, for "did you mean". */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(input.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(input.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

export function formatProblem(p: Problem, file?: string): string {
  const where = [file, p.line, p.column].filter((x) => x !== undefined).join(':');
  const node = p.nodeId ? ` [node ${p.nodeId}]` : '';
  return `${where ? where + ': ' : ''}${p.severity} ${p.code}${node}: ${p.message}\n    hint: ${p.hint}`;
}
