import { keyText, type OutMessage } from '../types.js';
import { ENV_NAME } from './http-sink.js';
import { decodingOperator } from './kafka-source.js';
import { defineKind, type KindProblem } from './spec.js';
import { AJV_VERSION, validate as validateKind } from './validate.js';
import { errorText } from '../errors.js';

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

export type KeyFn = (
  value: unknown,
  key: string | null,
  record: { timestamp: number; headers: Record<string, string>; topic: string; partition: number; offset: string },
) => unknown;

/**
 * The events of one request body: one JSON value, or with
 * `application/x-ndjson` one JSON value per non-empty line. Throws an
 * IngestRejection (400) that says where the JSON is broken.
 */
export function parseIngestBody(body: string, contentType: string | undefined): unknown[] {
  const ndjson = /^application\/(x-)?ndjson\b/i.test(contentType ?? '');
  if (body.trim() === '')
    throw new IngestRejection(400, 'the request body is empty; send one JSON event, or JSON lines with content-type application/x-ndjson');
  if (!ndjson) {
    try {
      return [JSON.parse(body)];
    } catch (e) {
      throw new IngestRejection(400, `the request body is not valid JSON: ${errorText(e)}`);
    }
  }
  const events: unknown[] = [];
  body.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      events.push(JSON.parse(line));
    } catch (e) {
      throw new IngestRejection(400, `line ${i + 1} of the request body is not valid JSON: ${errorText(e)}; no event of this request was accepted`);
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
        throw new IngestRejection(400, `the key of event ${i + 1} cannot be computed: ${errorText(e)}`);
      }
    }
    return { topic, key: keyText(key), value: JSON.stringify(value), headers: {}, timestamp: now };
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
    'pipeline then reads the topic with a Kafka source. With `auth: bearer` a request must carry ' +
    '`Authorization: Bearer <token>`, with `auth: api-key` the header `apiKeyHeader` (x-api-key) with the key; the ' +
    'token or key is read at start-up from the environment variable `tokenEnv` (INGEST_TOKEN), which the ' +
    "Deployment sets from the service's Secret, never from the pipeline; a request without it, or with a " +
    'wrong one, gets 401. `rateLimit` caps the requests per second of each client (by its address; a burst of one ' +
    "second's worth is allowed) and answers 429 with Retry-After above it. With `schema`, a JSON Schema, every " +
    'event of a request must match it, or the request gets 400 naming the event and what is wrong, and none of ' +
    'its events is accepted.',
  params: [
    {
      name: 'topic',
      type: 'topic',
      title: 'Topic',
      description: 'The topic the events are produced to and read from.',
      required: true,
      placeholder: 'requests',
    },
    { name: 'path', type: 'string', title: 'Path', description: 'The URL path that accepts POSTs.', default: '/events', placeholder: '/orders' },
    {
      name: 'key',
      type: 'expression',
      title: 'Key',
      description: 'Optional expression over the posted event giving the message key; unkeyed by default.',
      returns: 'key',
      placeholder: 'value.customerId',
    },
    {
      name: 'auth',
      type: 'enum',
      title: 'Authentication',
      description: 'none, a bearer token, or an API key in a header; the secret comes from tokenEnv.',
      enum: ['none', 'bearer', 'api-key'],
      default: 'none',
    },
    {
      name: 'tokenEnv',
      type: 'string',
      title: 'Token from env',
      description: 'Environment variable (set from a Secret) that holds the bearer token or API key.',
      default: 'INGEST_TOKEN',
      placeholder: 'INGEST_TOKEN',
    },
    {
      name: 'apiKeyHeader',
      type: 'string',
      title: 'API key header',
      description: 'The request header that carries the API key, with auth: api-key.',
      default: 'x-api-key',
    },
    {
      name: 'rateLimit',
      type: 'integer',
      title: 'Rate limit',
      description: 'Requests per second each client may send; 0 for no limit. Over it: 429.',
      default: 0,
      min: 0,
      max: 1000000,
    },
    {
      name: 'schema',
      type: 'json',
      title: 'Schema',
      description: 'An optional JSON Schema every posted event must match; otherwise 400 with the reason.',
      placeholder: 'type: object, required: [id], properties: { id: { type: string } }',
    },
    {
      name: 'maxBytes',
      type: 'integer',
      title: 'Largest body',
      description: 'Bytes a request body may have; larger ones get 413.',
      default: 1048576,
      min: 1024,
      max: 104857600,
    },
    {
      name: 'partitions',
      type: 'integer',
      title: 'Partitions',
      description: 'Partitions of the topic when Pipewright creates it; also the default replica count.',
      default: 6,
      min: 1,
      max: 1000,
    },
  ],
  inputs: [],
  outputs: ['out'],
  outputType: { from: 'source' },
  topicParam: 'topic',
  example: { params: { topic: 'requests', path: '/events' } },
  dependencies: (params): Record<string, string> => (params.schema !== undefined ? { ajv: AJV_VERSION } : {}),
  secrets: (params) =>
    params.auth === 'bearer' || params.auth === 'api-key'
      ? [
          {
            name: String(params.tokenEnv),
            example: 'change-me',
            description: `The ${params.auth === 'bearer' ? 'bearer token' : 'API key'} http-ingest requests must carry.`,
          },
        ]
      : [],
  validate(params) {
    const problems: KindProblem[] = [];
    const tokenEnv = String(params.tokenEnv);
    if (!ENV_NAME.test(tokenEnv))
      problems.push({
        param: 'tokenEnv',
        code: 'PW126',
        message: `"${tokenEnv}" is not an environment variable name.`,
        hint: 'Use capitals, digits and "_", e.g. INGEST_TOKEN.',
      });
    const header = String(params.apiKeyHeader);
    if (!/^[A-Za-z0-9-]{1,64}$/.test(header) || /^(authorization|content-type|content-length|host)$/i.test(header)) {
      problems.push({
        param: 'apiKeyHeader',
        code: 'PW127',
        message: `"${header}" cannot carry the API key.`,
        hint: 'Use a header name of letters, digits and "-", e.g. x-api-key.',
      });
    }
    if (params.schema !== undefined) problems.push(...validateKind.validate({ schema: params.schema }));
    const path = String(params.path);
    if (!PATH.test(path))
      problems.push({
        param: 'path',
        code: 'PW128',
        message: `"${path}" is not a path the endpoint can take.`,
        hint: 'Start with "/" and use letters, digits, ".", "_", "~" and "-" between slashes, e.g. /orders.',
      });
    else if (RESERVED.includes(path))
      problems.push({ param: 'path', code: 'PW129', message: `${path} is the service's own endpoint.`, hint: 'Choose another path, e.g. /events.' });
    return problems;
  },
  create() {
    return decodingOperator('json');
  },
});
