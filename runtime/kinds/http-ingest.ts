import type { OutMessage } from '../types.js';
import { kafkaSource } from './kafka-source.js';
import { defineKind, type KindProblem } from './spec.js';

/** URL paths the ingest endpoint may take: plain segments, no query, not the service's own endpoints. */
const PATH = /^(\/[A-Za-z0-9._~-]+){1,8}$/;
const RESERVED = ['/healthz', '/readyz', '/metrics'];

/** A request the endpoint turned down, with the status and the message it answers. */
export class IngestRejection extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type KeyFn = (value: unknown, key: string | null, record: { timestamp: number; headers: Record<string, string>; topic: string; partition: number; offset: string }) => unknown;

/**
 * The events of one request body: one JSON value, or with
 * `application/x-ndjson` one JSON value per non-empty line. Throws an
 * IngestRejection (400) that says where the JSON is broken.
 */
export function parseIngestBody(body: string, contentType: string | undefined): unknown[] {
  const ndjson = /^application\/(x-)?ndjson\b/i.test(contentType ?? '');
  if (body.trim() === '') throw new IngestRejection(400, 'the request body is empty; send one JSON event, or JSON lines with content-type application/x-ndjson');
  if (!ndjson) {
    try {
      return [JSON.parse(body)];
    } catch (e) {
      throw new IngestRejection(400, `the request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const events: unknown[] = [];
  body.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line));
    } catch (e) {
      throw new IngestRejection(400, `line ${i + 1} of the request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}; no event of this request was accepted`);
    }
  });
  return events;
}

/** The messages a request becomes: each event keyed by the `key` expression (or unkeyed), stamped now. */
export function ingestMessages(events: readonly unknown[], topic: string, now: number, keyFn?: KeyFn): OutMessage[] {
  return events.map((value, i) => {
    let key: unknown = null;
    if (keyFn) {
      try {
        key = keyFn(value, null, { timestamp: now, headers: {}, topic, partition: -1, offset: '' });
      } catch (e) {
        throw new IngestRejection(400, `the key of event ${i + 1} cannot be computed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { topic, key: key === null || key === undefined ? null : String(key), value: JSON.stringify(value), headers: {}, timestamp: now };
  });
}

export const httpIngest = defineKind({
  kind: 'http-ingest',
  category: 'source',
  title: 'HTTP ingest',
  summary: 'Accept events POSTed over HTTP and produce them to a topic, answering once Kafka has them.',
  docs:
    'The service answers `POST <path>` on its HTTP port (the one of /healthz, 8080 by default): the body is one ' +
    'JSON event, or one event per line with `content-type: application/x-ndjson`. Each event is produced to ' +
    '`topic`, keyed by the `key` expression, and the answer is 202 only after every in-sync replica has it ' +
    '(acks=all), so an accepted event is never lost. Requests that arrive together go out in one produce. Bad ' +
    'JSON gets 400 with where it is broken, a body over `maxBytes` 413, and 503 (with Retry-After) while the ' +
    'producer is not connected or the service is stopping. This is Kafka as the buffer in front of workers: ' +
    'bursts land in the topic, and the pipeline behind this node consumes it in its consumer group at its own ' +
    'pace, scaled by partitions. A pipeline of this node alone is a front service that only produces; a worker ' +
    'pipeline then reads the topic with a Kafka source.',
  params: [
    { name: 'topic', type: 'topic', title: 'Topic', description: 'The topic the events are produced to and read from.', required: true, placeholder: 'requests' },
    { name: 'path', type: 'string', title: 'Path', description: 'The URL path that accepts POSTs.', default: '/events', placeholder: '/orders' },
    {
      name: 'key',
      type: 'expression',
      title: 'Key',
      description: 'Optional expression over the posted event giving the message key; unkeyed by default.',
      returns: 'key',
      placeholder: 'value.customerId',
    },
    { name: 'maxBytes', type: 'integer', title: 'Largest body', description: 'Bytes a request body may have; larger ones get 413.', default: 1048576, min: 1024, max: 104857600 },
    { name: 'partitions', type: 'integer', title: 'Partitions', description: 'Partitions of the topic when Pipewright creates it; also the default replica count.', default: 6, min: 1, max: 1000 },
  ],
  inputs: [],
  outputs: ['out'],
  outputType: { from: 'source' },
  topicParam: 'topic',
  example: { params: { topic: 'requests', path: '/events' } },
  validate(params) {
    const problems: KindProblem[] = [];
    const path = String(params.path);
    if (!PATH.test(path)) problems.push({ param: 'path', message: `"${path}" is not a path the endpoint can take.`, hint: 'Start with "/" and use letters, digits, ".", "_", "~" and "-" between slashes, e.g. /orders.' });
    else if (RESERVED.includes(path)) problems.push({ param: 'path', message: `${path} is the service's own endpoint.`, hint: 'Choose another path, e.g. /events.' });
    return problems;
  },
  create(ctx) {
    return kafkaSource.create({ ...ctx, params: { ...ctx.params, format: 'json' } });
  },
});
