/**
 * The model kind inside the engine: fields added to events, failures to the
 * error port with provenance, models that cannot load reported at start-up,
 * and the kind's own validation of model files and input mappings.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Graph, type GraphFns, type GraphSpec } from '../engine/graph.js';
import { DEAD_LETTER_HEADERS, type RawMessage } from '../types.js';
import { literalKeys, model, modelPathProblem } from './model.js';
import { withDefaults } from './spec.js';

const EXAMPLE = new URL('../../examples/flight-delays/', import.meta.url);
const readExample = async (path: string) => new Uint8Array(readFileSync(new URL(path, EXAMPLE)));
const FILES = {
  'models/flight-delay.json': await readExample('models/flight-delay.json'),
  'models/flight-delay.onnx': await readExample('models/flight-delay.onnx'),
};
const FEATURES = ['dep_hour', 'day_of_week', 'distance', 'inbound_delay', 'precipitation'];
const vectors = JSON.parse(readFileSync(new URL('test-vectors.json', EXAMPLE), 'utf8')) as { flight: Record<string, unknown>; probability: number }[];
const INPUTS =
  '({ dep_hour: value.depHour, day_of_week: value.dayOfWeek, distance: value.distanceMi, inbound_delay: value.inboundDelayMin, precipitation: value.precipitationMm ?? 0 })';

function spec(params: Record<string, unknown>): GraphSpec {
  return {
    pipeline: 'model-test',
    errors: { policy: 'dead-letter', topic: 'dead' },
    nodes: [
      { id: 'src', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
      { id: 'm', kind: 'model', params, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
      { id: 'out', kind: 'kafka-sink', params: { topic: 'out' }, inputs: [{ port: 'in', from: 'm', fromPort: 'out' }] },
    ],
  };
}

const fns: GraphFns = {
  m: {
    inputs: (value: { depHour: number; dayOfWeek: number; distanceMi: number; inboundDelayMin?: number; precipitationMm?: number }) => ({
      dep_hour: value.depHour,
      day_of_week: value.dayOfWeek,
      distance: value.distanceMi,
      inbound_delay: value.inboundDelayMin,
      precipitation: value.precipitationMm ?? 0,
    }),
  },
};

const messages = (values: unknown[]): RawMessage[] =>
  values.map((v, i) => ({
    key: `k${i}`,
    value: typeof v === 'string' ? v : JSON.stringify(v),
    timestamp: 0,
    headers: {},
    origin: { topic: 'in', partition: 0, offset: String(i) },
  }));

const readFile = async (path: string) => {
  const bytes = (FILES as Record<string, Uint8Array>)[path];
  if (!bytes) throw new Error(`no such file ${path}`);
  return bytes;
};

describe.each([
  ['json', 'models/flight-delay.json'],
  ['onnx', 'models/flight-delay.onnx'],
])('the model step with the %s backend', (backend, path) => {
  it('adds score, label and probabilities to every event of a batch', async () => {
    const graph = new Graph(spec({ backend, model: path, score: 'delayProbability', label: 'late', probabilities: 'classes', batchSize: 64 }), fns, {
      readFile,
    });
    await graph.start();
    const batch = vectors.slice(0, 100);
    const result = await graph.process('in', messages(batch.map((v) => v.flight)));
    expect(result.deadLetters).toBe(0);
    const values = result.messages.map((m) => JSON.parse(String(m.value)) as Record<string, unknown>);
    expect(values).toHaveLength(100);
    values.forEach((v, i) => {
      expect(v.flight).toBe(batch[i].flight.flight);
      expect(Math.abs((v.delayProbability as number) - batch[i].probability)).toBeLessThan(1e-6);
      if (backend === 'json') {
        expect(v.late).toBe(batch[i].probability >= 0.5 ? 1 : 0);
        expect((v.classes as number[])[1]).toBeCloseTo(batch[i].probability, 12);
      } else {
        // A single-output regressor-style model gives a score only.
        expect(v.late).toBeNull();
      }
    });
    await graph.close();
  });

  it('sends events it cannot score to the dead-letter topic with provenance, and scores the rest', async () => {
    const graph = new Graph(spec({ backend, model: path }), fns, { readFile });
    const result = await graph.process(
      'in',
      messages([vectors[0].flight, { ...vectors[1].flight, depHour: 'evening' }, 'not json', [1, 2], vectors[2].flight]),
    );
    expect(result.deadLetters).toBe(3);
    const dead = (offset: string) => result.messages.find((m) => m.topic === 'dead' && m.headers[DEAD_LETTER_HEADERS.offset] === offset)!.headers;
    expect(dead('1')[DEAD_LETTER_HEADERS.error]).toMatch(/"dep_hour" must be a number, not the text "evening"/);
    expect(dead('1')[DEAD_LETTER_HEADERS.node]).toBe('m');
    expect(dead('2')[DEAD_LETTER_HEADERS.node]).toBe('src');
    expect(dead('3')[DEAD_LETTER_HEADERS.error]).toMatch(/events that are objects/);
    expect(result.messages.filter((m) => m.topic === 'out')).toHaveLength(2);
  });
});

describe('a model that cannot load', () => {
  it('stops start() with a message that names the node and the file', async () => {
    const graph = new Graph(spec({ backend: 'json', model: 'models/missing.json' }), fns);
    await expect(graph.start()).rejects.toThrow(/node "m" \(model\) cannot start: cannot read the model file "models\/missing.json": no such file/);
  });

  it('says what is wrong with a file that is not a model', async () => {
    const graph = new Graph(spec({ backend: 'onnx', model: 'models/flight-delay.json' }), fns, { readFile });
    await expect(graph.start()).rejects.toThrow(/cannot be loaded: not an ONNX model/);
  });

  it('never throws mid-stream: without start(), the batch goes to the dead-letter topic', async () => {
    const graph = new Graph(spec({ backend: 'json', model: 'models/missing.json' }), fns, { readFile });
    const result = await graph.process('in', messages([vectors[0].flight, vectors[1].flight]));
    expect(result.deadLetters).toBe(2);
    expect(result.messages[0].headers[DEAD_LETTER_HEADERS.error]).toMatch(/model step "m" has no model: .*no such file/);
  });

  it('reads files from the working directory by default, and loads onnxruntime-node by itself', async () => {
    const graph = new Graph(spec({ backend: 'onnx', model: 'examples/flight-delays/models/flight-delay.onnx' }), fns);
    await graph.start();
    const result = await graph.process('in', messages([vectors[0].flight]));
    expect(JSON.parse(String(result.messages[0].value)).score).toBeCloseTo(vectors[0].probability, 6);
  });
});

describe('the HTTP backend in the engine', () => {
  it('scores through the endpoint, and dead-letters a batch the endpoint keeps failing', async () => {
    let fail = false;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const { instances } = JSON.parse(body) as { instances: { distance: number }[] };
        if (fail) res.writeHead(503).end('down');
        else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions: instances.map((i) => i.distance / 10_000) }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/models/delay:predict`;
      const graph = new Graph(spec({ backend: 'http', url, retries: 1, timeoutMs: 500 }), fns);
      const ok = await graph.process('in', messages(vectors.slice(0, 3).map((v) => v.flight)));
      expect(ok.messages.map((m) => JSON.parse(String(m.value)).score)).toEqual(vectors.slice(0, 3).map((v) => (v.flight.distanceMi as number) / 10_000));
      fail = true;
      const bad = await graph.process('in', messages(vectors.slice(0, 3).map((v) => v.flight)));
      expect(bad.deadLetters).toBe(3);
      expect(bad.messages[0].headers[DEAD_LETTER_HEADERS.error]).toMatch(/HTTP 503: down \(after 2 attempts\)/);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('validation of the model step', () => {
  const check = (params: Record<string, unknown>, files: Record<string, Uint8Array> | 'none' = FILES) => {
    return model.validate(withDefaults(model, params), { files: files === 'none' ? undefined : files });
  };

  it('accepts the example', () => {
    expect(check({ backend: 'onnx', model: 'models/flight-delay.onnx', inputs: INPUTS })).toEqual([]);
    expect(check({ backend: 'json', model: 'models/flight-delay.json', inputs: INPUTS })).toEqual([]);
  });

  it.each([
    ['../models/flight-delay.onnx', /stay inside the pipeline's folder/],
    ['/etc/passwd.onnx', /relative to the pipeline's folder/],
    ['models\\flight-delay.onnx', /relative to the pipeline's folder/],
    ['models/.hidden.onnx', /letters, digits/],
    ['', /needs a model file/],
  ])('rejects the path %j', (path, message) => {
    const problems = check({ backend: 'onnx', model: path, inputs: INPUTS });
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
    expect(problems[0].param).toBe('model');
  });

  it('reports a missing file, a file that does not load, and a wrong extension', () => {
    expect(check({ backend: 'onnx', model: 'models/other.onnx', inputs: INPUTS })[0].message).toMatch(/does not exist/);
    expect(check({ backend: 'onnx', model: 'models/x.onnx', inputs: INPUTS }, { 'models/x.onnx': new Uint8Array([1, 2, 3]) })[0].message).toMatch(
      /cannot be loaded: not an ONNX model/,
    );
    expect(
      check({ backend: 'json', model: 'models/flight-delay.onnx', inputs: INPUTS })
        .map((p) => p.message)
        .join('\n'),
    ).toMatch(/reads \.json files/);
    // Without files (a designer that has none yet), only what can be told from the parameters is checked.
    expect(check({ backend: 'onnx', model: 'models/other.onnx', inputs: INPUTS }, 'none')).toEqual([]);
  });

  it("checks the inputs expression against the model's inputs", () => {
    const missing = check({ backend: 'onnx', model: 'models/flight-delay.onnx', inputs: '({ dep_hour: value.depHour, distance: value.distanceMi })' });
    expect(missing[0]).toMatchObject({ param: 'inputs' });
    expect(missing[0].message).toMatch(/"day_of_week", "inbound_delay", "precipitation" are not mapped/);
    expect(missing[0].hint).toMatch(/day_of_week: value.day_of_week \?\? 0/);
    const extra = check({ backend: 'json', model: 'models/flight-delay.json', inputs: INPUTS.replace('})', ', carrier: 1 })') });
    expect(extra[0].message).toMatch(/no input "carrier"/);
  });

  it("checks the http backend's url and the output field names", () => {
    expect(check({ backend: 'http', inputs: INPUTS })[0].message).toMatch(/needs the endpoint's url/);
    expect(check({ backend: 'http', url: 'ftp://x', inputs: INPUTS })[0].message).toMatch(/not an http\(s\) URL/);
    expect(check({ backend: 'http', url: 'http://m:8080/v1/models/d:predict', inputs: INPUTS, score: 'delay probability' })[0].message).toMatch(
      /not a usable field name/,
    );
    expect(check({ backend: 'http', url: 'http://m:8080/v1/models/d:predict', inputs: INPUTS, label: 'score' })[0].message).toMatch(/different fields/);
  });

  it('names its file and its npm dependency', () => {
    expect(model.files(withDefaults(model, { backend: 'onnx', model: 'models/a.onnx' }))).toEqual(['models/a.onnx']);
    expect(model.files(withDefaults(model, { backend: 'http', model: 'models/a.onnx' }))).toEqual([]);
    expect(model.dependencies(withDefaults(model, { backend: 'onnx' }))).toEqual({ 'onnxruntime-node': '1.30.0' });
    expect(model.dependencies(withDefaults(model, { backend: 'json' }))).toEqual({});
  });

  it('reads the keys of object-literal expressions, and gives up on anything else', () => {
    expect(literalKeys(INPUTS)).toEqual(FEATURES);
    expect(literalKeys('({ "a b": f(1, 2), c, \'d\': [1, { e: 2 }] })')).toEqual(['a b', 'c', 'd']);
    expect(literalKeys('({ ...value })')).toBeUndefined();
    expect(literalKeys('({ [k]: 1 })')).toBeUndefined();
    expect(literalKeys('value.features')).toBeUndefined();
    expect(modelPathProblem('models/a-b_c.1.onnx')).toBeUndefined();
  });
});
