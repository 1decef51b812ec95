import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from './parse.js';
import { serializePipeline } from './serialize.js';
import { graphSpec } from './graph-spec.js';
import { pipelineTs } from './pipeline-ts.js';
import { planCode } from './plan.js';

const GOOD = `pipeline: orders
nodes:
  - id: in
    kind: kafka-source
    topic: orders
  - id: big
    kind: filter
    input: in
    where: value.amount > 100
  - id: out
    kind: kafka-sink
    input: big
    topic: big-orders
`;

/** Replace one line of GOOD and return the problems, to check each error points at its place. */
function problemsWith(from: string, to: string) {
  const text = GOOD.replace(from, to);
  expect(text).not.toBe(GOOD);
  return parsePipeline(text).problems;
}

describe('parsePipeline', () => {
  it('accepts a valid pipeline with no problems', () => {
    const { pipeline, problems } = parsePipeline(GOOD);
    expect(problems).toEqual([]);
    expect(pipeline?.nodes.map((n) => n.id)).toEqual(['in', 'big', 'out']);
    expect(pipeline?.nodes[1].inputs).toEqual([{ port: 'in', from: 'in', fromPort: 'out' }]);
  });

  it('reports bad YAML with line and column', () => {
    const [p] = parsePipeline('pipeline: x\nnodes:\n  - id: a\n    kind: [unclosed\n').problems;
    expect(p).toMatchObject({ code: 'PW001', severity: 'error' });
    expect(p.line).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['unknown kind, with a suggestion', 'kind: filter', 'kind: filtre', 'PW013', 7, /Did you mean "filter"/],
    ['unknown parameter', 'where: value.amount > 100', 'wher: value.amount > 100', 'PW014', 9, /where/],
    ['wrong parameter type', '    topic: orders', '    topic: [orders]', 'PW015', 5, /Quote/],
    ['missing required parameter', '    where: value.amount > 100\n', '', 'PW016', 6, /where/],
    ['dangling input', 'input: in\n', 'input: inn\n', 'PW020', 8, /Did you mean "in"/],
    ['bad topic name', 'topic: big-orders', 'topic: big orders!', 'PW017', 13, /letters, digits/],
    ['bad node id', '- id: big', '- id: Big_Orders', 'PW011', 6, /lowercase/],
    ['bad pipeline name', 'pipeline: orders', 'pipeline: Orders Service', 'PW010', 1, /RFC 1123/],
    ['two expressions', 'where: value.amount > 100', 'where: value.a; process.exit(1)', 'PW031', 9, /exactly one expression/],
    ['an expression that is not TypeScript', 'where: value.amount > 100', 'where: value.amount >', 'PW030', 9, /one TypeScript expression/],
    ['a block instead of an object', 'where: value.amount > 100', 'where: "{ a: 1 }"', 'PW032', 9, /parentheses/],
    ['await in an expression', 'where: value.amount > 100', 'where: await value', 'PW033', 9, /synchronous/],
    ['a source with an input', '    topic: orders\n', '    topic: orders\n    input: big\n', 'PW023', 6, /Remove/],
    ['a topic read and written', 'topic: big-orders', 'topic: orders', 'PW029', 13, /loops/],
  ])('reports %s with code, line and hint', (_what, from, to, code, line, hint) => {
    const problems = problemsWith(from, to);
    const p = problems.find((x) => x.code === code);
    expect(p, JSON.stringify(problems, null, 1)).toBeDefined();
    expect(p!.line).toBe(line);
    expect(p!.column).toBeGreaterThan(0);
    expect(p!.hint).toMatch(hint);
  });

  it('reports duplicate ids and cycles with the node id', () => {
    const dup = problemsWith('- id: out', '- id: big');
    expect(dup.find((p) => p.code === 'PW012')).toMatchObject({ nodeId: 'big', line: 10 });
    const cycle = parsePipeline(GOOD.replace('input: in\n', 'input: [in, out2]\n') + '  - id: out2\n    kind: map\n    input: big\n    to: value\n').problems;
    expect(cycle.find((p) => p.code === 'PW025')?.message).toMatch(/big → out2 → big|out2 → big → out2/);
  });

  it('reports a node without input and a missing source', () => {
    expect(problemsWith('    input: in\n', '').find((p) => p.code === 'PW022')).toMatchObject({ nodeId: 'big', line: 6 });
    expect(parsePipeline('pipeline: x\nnodes:\n  - id: f\n    kind: filter\n    where: "true"\n').problems.map((p) => p.code)).toContain('PW027');
  });

  it('never throws on garbage', () => {
    for (const text of ['', '42', '- a\n- b', '\u0000\u0001binary', 'pipeline: [', 'a: &a [*a]', 'nodes: {a: 1}']) {
      const result = parsePipeline(text);
      expect(result.problems.length, text).toBeGreaterThan(0);
      for (const p of result.problems) expect(p.line).toBeGreaterThan(0);
    }
  });

  it('round-trips every example through serialize, positions included', () => {
    const text = readFileSync(new URL('../examples/large-orders/pipeline.yaml', import.meta.url), 'utf8');
    const first = parsePipeline(text).pipeline!;
    const again = parsePipeline(serializePipeline(first));
    expect(again.problems).toEqual([]);
    expect(again.pipeline).toEqual(first);
    expect(first.nodes[0].position).toEqual({ x: 0, y: 80 });
    expect(serializePipeline(again.pipeline!)).toBe(serializePipeline(first));
  });
});

describe('deploy.replicas', () => {
  it('warns when there would be more replicas than input partitions', () => {
    const text = `pipeline: p\ndeploy: { replicas: 8, autoscaling: none }\nnodes:\n  - { id: a, kind: kafka-source, topic: t, partitions: 6 }\n  - { id: b, kind: kafka-sink, topic: u, input: a }\n`;
    const [w] = parsePipeline(text).problems;
    expect(w).toMatchObject({ code: 'PW042', severity: 'warning', line: 2 });
    expect(w.message).toMatch(/only 6 partition/);
  });
});

describe('deployment settings', () => {
  const NODES = `nodes:\n  - { id: a, kind: kafka-source, topic: t, partitions: 6 }\n  - { id: b, kind: kafka-sink, topic: u, input: a }\n`;
  const withDeploy = (deploy: string, kafka = '') => `pipeline: p\n${kafka}deploy:\n${deploy}\n${NODES}`;

  it('reads, validates and writes back every setting', () => {
    const text = withDeploy(
      '  image: ghcr.io/acme/p:2.0.1\n  autoscaling: { minReplicaCount: 0, maxReplicaCount: 6, lagThreshold: 500, activationLagThreshold: 5 }\n  metricsNamespace: observability\n  livenessTimeoutSeconds: 90',
      'kafka:\n  bootstrapServers: a.kafka.svc:9092,b.kafka.svc:9092\n',
    );
    const { pipeline, problems } = parsePipeline(text);
    expect(problems).toEqual([]);
    expect(pipeline!.kafka.bootstrapServers).toBe('a.kafka.svc:9092,b.kafka.svc:9092');
    expect(pipeline!.deploy).toEqual({
      image: 'ghcr.io/acme/p:2.0.1',
      autoscaling: { minReplicaCount: 0, maxReplicaCount: 6, lagThreshold: 500, activationLagThreshold: 5 },
      metricsNamespace: 'observability',
      livenessTimeoutSeconds: 90,
    });
    const again = parsePipeline(serializePipeline(pipeline!));
    expect(again.problems).toEqual([]);
    expect(again.pipeline).toEqual(pipeline);
    const none = parsePipeline(withDeploy('  autoscaling: none\n  replicas: 3'));
    expect(none.problems).toEqual([]);
    expect(parsePipeline(serializePipeline(none.pipeline!)).pipeline!.deploy).toEqual({ autoscaling: 'none', replicas: 3 });
  });

  it.each([
    ['maxReplicaCount above the partitions', '  autoscaling: { maxReplicaCount: 8 }', 'PW060', 'error', /only 6 partition/, /at most 6/],
    [
      'minReplicaCount above maxReplicaCount',
      '  autoscaling: { minReplicaCount: 5, maxReplicaCount: 3 }',
      'PW061',
      'error',
      /more than maxReplicaCount/,
      /at most maxReplicaCount/,
    ],
    ['replicas while KEDA scales', '  replicas: 3', 'PW062', 'warning', /no effect/, /autoscaling: none/],
    ['a latest image', '  image: ghcr.io/acme/p:latest', 'PW063', 'error', /latest/, /version/],
    ['an unknown autoscaling field', '  autoscaling: { maxReplicas: 3 }', 'PW003', 'error', /maxReplicas/, /maxReplicaCount/],
    ['a negative lag threshold', '  autoscaling: { lagThreshold: -1 }', 'PW004', 'error', /lagThreshold/, /lagThreshold: 1000/],
    ['autoscaling neither none nor a mapping', '  autoscaling: keda-please', 'PW004', 'error', /autoscaling/, /autoscaling: none/],
    ['a liveness bound too short', '  livenessTimeoutSeconds: 5', 'PW004', 'error', /livenessTimeoutSeconds/, /longest batch/],
    ['a bad metrics namespace', '  metricsNamespace: Monitoring_NS', 'PW004', 'error', /metricsNamespace/, /lowercase/],
    ['monitoring neither true, false nor a mapping', '  monitoring: yes-please', 'PW004', 'error', /deploy\.monitoring/, /monitoring: true/],
    ['an unknown monitoring field', '  monitoring: { enabled: true }', 'PW003', 'error', /enabled/, /labels/],
    ['a monitoring label key that is not a label key', '  monitoring: { labels: { "team name": a } }', 'PW090', 'error', /"team name".*label key/, /63/],
    [
      'a monitoring label value that is not a label value',
      '  monitoring: { labels: { release: "kube prometheus" } }',
      'PW091',
      'error',
      /release is "kube prometheus"/,
      /63/,
    ],
    [
      'a mapping as a monitoring label value',
      '  monitoring: { labels: { tier: { a: 1 } } }',
      'PW004',
      'error',
      /deploy\.monitoring\.labels\.tier/,
      /release: kube-prometheus-stack/,
    ],
    [
      'a monitoring label Pipewright sets itself',
      '  monitoring: { labels: { app.kubernetes.io/name: other } }',
      'PW092',
      'error',
      /app\.kubernetes\.io\/name/,
      /Remove/,
    ],
  ])('reports %s at its line', (_what, deploy, code, severity, message, hint) => {
    const problems = parsePipeline(withDeploy(deploy)).problems;
    const p = problems.find((x) => x.code === code);
    expect(p, JSON.stringify(problems, null, 1)).toBeDefined();
    expect(p).toMatchObject({ severity, line: 3 });
    expect(p!.message).toMatch(message);
    expect(p!.hint).toMatch(hint);
  });

  it('monitoring is off unless turned on, and true, false or labels round-trip', () => {
    expect(parsePipeline(withDeploy('  image: p:1.0.0')).pipeline!.deploy.monitoring).toBeUndefined();
    for (const [text, read] of [
      ['  monitoring: true', true],
      ['  monitoring: false', false],
      [
        '  monitoring:\n    labels: { release: kube-prometheus-stack, example.com/team: "42", tier: 1 }',
        { labels: { release: 'kube-prometheus-stack', 'example.com/team': '42', tier: '1' } },
      ],
    ] as const) {
      const { pipeline, problems } = parsePipeline(withDeploy(text));
      expect(problems).toEqual([]);
      expect(pipeline!.deploy.monitoring).toEqual(read);
      expect(parsePipeline(serializePipeline(pipeline!)).pipeline).toEqual(pipeline);
    }
  });

  it('reports bootstrap servers that are not host:port', () => {
    for (const bad of ['kafka', 'kafka:99999', 'a:9092;rm -rf /', 'a:9092,', 'http://kafka:9092']) {
      const problems = parsePipeline(withDeploy('  metricsNamespace: monitoring', `kafka:\n  bootstrapServers: "${bad}"\n`)).problems;
      expect(
        problems.find((x) => x.code === 'PW004'),
        bad,
      ).toMatchObject({ line: 3, message: expect.stringMatching(/bootstrapServers/) });
    }
  });
});

describe('deploy.standbyReplicas', () => {
  const WINDOWED = `nodes:\n  - { id: a, kind: kafka-source, topic: t, partitions: 6 }\n  - { id: w, kind: window, input: a, size: 1h }\n  - { id: b, kind: kafka-sink, topic: u, input: w }\n`;
  const STATELESS = `nodes:\n  - { id: a, kind: kafka-source, topic: t, partitions: 6 }\n  - { id: b, kind: kafka-sink, topic: u, input: a }\n`;
  const text = (deploy: string, nodes = WINDOWED) => `pipeline: p\ndeploy:\n${deploy}\n${nodes}`;

  it('reads, writes back and hands the count to the generated graph', () => {
    const { pipeline, problems } = parsePipeline(text('  autoscaling: none\n  replicas: 3\n  standbyReplicas: 2'));
    expect(problems).toEqual([]);
    expect(pipeline!.deploy.standbyReplicas).toBe(2);
    expect(parsePipeline(serializePipeline(pipeline!)).pipeline).toEqual(pipeline);
    expect(graphSpec(pipeline!).standbyReplicas).toBe(2);
    expect(pipelineTs(planCode(pipeline!)).text).toMatch(/^ {2}standbyReplicas: 2,$/m);
    expect(graphSpec(parsePipeline(text('  autoscaling: none\n  replicas: 3')).pipeline!).standbyReplicas).toBeUndefined();
  });

  it.each([
    ['as many standbys as replicas', '  autoscaling: none\n  replicas: 2\n  standbyReplicas: 2', WINDOWED, 'PW045', 'error', /at most 2 replica/, /at most 1/],
    [
      'standbys with a single replica',
      '  autoscaling: none\n  replicas: 1\n  standbyReplicas: 1',
      WINDOWED,
      'PW045',
      'error',
      /at most 1 replica/,
      /two replicas or more/,
    ],
    [
      'as many standbys as KEDA may run',
      '  autoscaling: { maxReplicaCount: 3 }\n  standbyReplicas: 3',
      WINDOWED,
      'PW045',
      'error',
      /at most 3 replica/,
      /at most 2/,
    ],
    [
      'standbys of a pipeline without state',
      '  standbyReplicas: 1',
      STATELESS,
      'PW046',
      'warning',
      /no node of this pipeline keeps state/,
      /leave standbyReplicas out/,
    ],
    ['a standby count that is not a whole number', '  standbyReplicas: one', WINDOWED, 'PW004', 'error', /standbyReplicas/, /standbyReplicas: 1/],
    ['a negative standby count', '  standbyReplicas: -1', WINDOWED, 'PW004', 'error', /standbyReplicas/, /standbyReplicas: 1/],
  ])('reports %s', (_what, deploy, nodes, code, severity, message, hint) => {
    const problems = parsePipeline(text(deploy, nodes)).problems;
    const p = problems.find((x) => x.code === code);
    expect(p, JSON.stringify(problems, null, 1)).toBeDefined();
    expect(p).toMatchObject({ severity, path: ['deploy', 'standbyReplicas'] });
    expect(p!.line).toBeGreaterThanOrEqual(3);
    expect(p!.message).toMatch(message);
    expect(p!.hint).toMatch(hint);
  });
});

describe('delivery', () => {
  it('is at-least-once unless the pipeline says exactly-once, and round-trips', () => {
    expect(parsePipeline(GOOD).pipeline?.delivery).toBeUndefined();
    const eos = parsePipeline(`delivery: exactly-once\n${GOOD}`);
    expect(eos.problems).toEqual([]);
    expect(eos.pipeline?.delivery).toBe('exactly-once');
    expect(parsePipeline(serializePipeline(eos.pipeline!)).pipeline?.delivery).toBe('exactly-once');
  });

  it('rejects anything else with the choices', () => {
    const { problems } = parsePipeline(`delivery: exactly_once_v2\n${GOOD}`);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/delivery/);
    expect(JSON.stringify(problems[0])).toMatch(/at-least-once or exactly-once/);
  });

  it('gives the generated graph the mode, and tells downstream consumers to read committed', async () => {
    const { generate } = await import('./generate.js');
    const { nodeAssets } = await import('./node-assets.js');
    const files = generate(parsePipeline(`delivery: exactly-once\n${GOOD}`).pipeline!, nodeAssets()).files!;
    expect(files['src/pipeline.ts']).toContain('delivery: "exactly-once",');
    expect(files['README.md']).toMatch(/isolation\.level=read_committed/);
    // …and what the transactions' timeout means for a slice, and for those consumers after a crash.
    expect(files['README.md']).toMatch(/transaction times out after 60 s/);
    expect(files['README.md']).toMatch(/wait at that transaction until the partition's new owner/);
    expect(files['topics/topics.yaml']).toMatch(/read_committed/);
    const alo = generate(parsePipeline(GOOD).pipeline!, nodeAssets()).files!;
    expect(alo['src/pipeline.ts']).not.toContain('delivery');
    expect(alo['topics/topics.yaml']).not.toMatch(/read_committed/);
    expect(alo['README.md']).not.toMatch(/transaction times out/);
  });
});

describe("a test's ignore", () => {
  // Two sinks share topic u; c writes elsewhere; x is a log sink outside Kafka.
  const NODES = `nodes:\n  - { id: a, kind: kafka-source, topic: t }\n  - { id: b1, kind: kafka-sink, topic: u, input: a }\n  - { id: b2, kind: kafka-sink, topic: u, input: a }\n  - { id: c, kind: kafka-sink, topic: v, input: a }\n`;
  const text = (test: string) => `pipeline: p\n${NODES}tests:\n  - name: one\n    input: { a: [ { key: k, value: 1 } ] }\n${test}\n`;

  it('reads, writes back, and names sinks and dead-letters', () => {
    const { pipeline, problems } = parsePipeline(text('    ignore: [ c, dead-letters ]'));
    expect(problems).toEqual([]);
    expect(pipeline!.tests[0].ignore).toEqual(['c', 'dead-letters']);
    expect(serializePipeline(pipeline!)).toMatch(/^ {4}ignore:\n {6}- c\n {6}- dead-letters$/m);
    expect(parsePipeline(serializePipeline(pipeline!)).pipeline).toEqual(pipeline);
  });

  it.each([
    ['an unknown name', '    ignore: [ cc ]', 'PW047', /ignores "cc", which is neither a sink node nor dead-letters/, /b1, b2, c\) or dead-letters/],
    ['a misspelt dead-letters', '    ignore: [ dead-letter ]', 'PW047', /ignores "dead-letter"/, /^Did you mean "dead-letters"\?/],
    ['a source', '    ignore: [ a ]', 'PW047', /ignores "a"/, /a sink node/],
    ['a sink it also expects', '    expect: { c: [ { key: k, value: 1 } ] }\n    ignore: [ c ]', 'PW048', /both expects sink "c" and ignores it/, /drop one/],
    ['dead letters it also counts', '    deadLetters: 1\n    ignore: [ dead-letters ]', 'PW048', /both states deadLetters and ignores it/, /drop one/],
    [
      'half of a shared topic',
      '    ignore: [ b1 ]',
      'PW049',
      /ignores sink "b1" but checks sink "b2", and both write topic "u"/,
      /ignore both b1 and b2, or neither/,
    ],
    ['not a list of names', '    ignore: c', 'PW004', /ignore/, /ignore: \[ sink-id, dead-letters \]/],
  ])('reports %s with the test and the fix', (_what, test, code, message, hint) => {
    const problems = parsePipeline(text(test)).problems.filter((x) => x.severity === 'error');
    expect(problems, JSON.stringify(problems, null, 1)).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code, line: expect.any(Number) });
    expect(problems[0].path.slice(0, 3)).toEqual(['tests', 0, 'ignore']);
    expect(problems[0].message).toMatch(message);
    expect(problems[0].hint).toMatch(hint);
  });

  it('ignoring both sinks of a shared topic is fine', () => {
    expect(parsePipeline(text('    ignore: [ b1, b2 ]')).problems.filter((x) => x.severity === 'error')).toEqual([]);
  });
});
