/**
 * The patterns every name from a pipeline must match before it goes anywhere
 * near code, a path or a manifest. Checked when the pipeline is read.
 */

/** Pipeline names become Kubernetes object names, labels, the consumer group and topic prefixes. */
export const PIPELINE_NAME = /^[a-z]([a-z0-9-]{0,38}[a-z0-9])?$/;
/** Node ids become TypeScript identifiers (with "-" as "_") and Mermaid ids. */
export const NODE_ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const NODE_ID_MAX = 40;
/** Kafka's own rule (legal characters, at most 249), kept shorter so derived names fit too. */
export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,200}$/;

export function isPipelineName(s: string): boolean {
  return PIPELINE_NAME.test(s);
}

export function isNodeId(s: string): boolean {
  return s.length <= NODE_ID_MAX && NODE_ID.test(s);
}

/** Names of ports a node derives from its parameters (branch routes): like node ids; `error` is every node's own. */
export function isPortName(s: string): boolean {
  return isNodeId(s) && s !== 'error';
}

export function isTopicName(s: string): boolean {
  return TOPIC_NAME.test(s) && s !== '.' && s !== '..';
}

/** A node id as a TypeScript identifier fragment: ids have no "_", so this is one-to-one. */
export function identOf(id: string): string {
  return id.replace(/-/g, '_');
}

export function pascalOf(id: string): string {
  return id
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** host:port[,host:port…]: what KAFKA_BROKERS and KEDA's bootstrapServers take. */
export function isBootstrapServers(s: string): boolean {
  return s.length <= 1000 && bootstrapServers(s).every((b) => b !== undefined);
}

/** The host and port of each entry of a bootstrap list; undefined for an entry that is not host:port. */
export function bootstrapServers(s: string): ({ host: string; port: number } | undefined)[] {
  return s.split(',').map((b) => {
    const m = /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*):(\d{1,5})$/.exec(b.trim());
    return m !== null && Number(m[5]) >= 1 && Number(m[5]) <= 65535 ? { host: m[1], port: Number(m[5]) } : undefined;
  });
}

/** Eight hex digits of a string's FNV-1a hash: a stable suffix that keeps shortened names apart. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
