import { describe, expect, test } from 'vitest';
import { migratePipeline, MIGRATIONS, type Migration } from './migrate.js';
import { PIPELINE_FORMAT_VERSION } from './pipeline.js';
import { parsePipeline } from './parse.js';
import { readPipelineText } from './read.js';
import { serializePipeline } from './serialize.js';

describe('format versions', () => {
  test('a file without version is version 1, and the current version is read as it is', () => {
    const doc = { pipeline: 'x', nodes: [] };
    expect(migratePipeline(doc)).toEqual({ doc: { ...doc, version: 2 }, from: 1 });
    expect(migratePipeline({ ...doc, version: 1 })).toEqual({ doc: { ...doc, version: 2 }, from: 1 });
    const current = { ...doc, version: 2 };
    expect(migratePipeline(current)).toEqual({ doc: current, from: 2 });
    const same = migratePipeline(current);
    expect('doc' in same && same.doc).toBe(current);
    expect(PIPELINE_FORMAT_VERSION).toBe(2);
    expect(Object.keys(MIGRATIONS)).toEqual(['1']);
  });

  test('an older format is upgraded step by step through the table, without touching the original', () => {
    // A format history as it could be: 1 → 2 renames `nodes` to `steps`, 2 → 3 adds `kafka`.
    const table: Record<number, Migration> = {
      1: ({ nodes, ...rest }) => ({ ...rest, steps: nodes }),
      2: (doc) => ({ ...doc, kafka: { profile: 'plaintext' } }),
    };
    const v1 = { version: 1, pipeline: 'x', nodes: [{ id: 'a' }] };
    expect(migratePipeline(v1, 3, table)).toEqual({ doc: { version: 3, pipeline: 'x', steps: [{ id: 'a' }], kafka: { profile: 'plaintext' } }, from: 1 });
    expect(migratePipeline({ version: 2, pipeline: 'x', steps: [] }, 3, table)).toEqual({
      doc: { version: 3, pipeline: 'x', steps: [], kafka: { profile: 'plaintext' } },
      from: 2,
    });
    expect(v1).toEqual({ version: 1, pipeline: 'x', nodes: [{ id: 'a' }] });
  });

  test('a missing step in the table is reported as a bug, not read wrong', () => {
    const r = migratePipeline({ version: 1 }, 3, { 2: (d) => d });
    expect(r).toMatchObject({ problem: { code: 'PW007', path: ['version'] } });
  });

  test('a newer version is refused with what, where and how to fix', () => {
    const r = readPipelineText('version: 3\npipeline: x\nnodes: []\n');
    expect(r.pipeline).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ code: 'PW006', severity: 'error', line: 1, column: 10, path: ['version'] });
    expect(r.problems[0].message).toBe('The file is pipeline format version 3, newer than this Pipewright reads (version 2).');
    expect(r.problems[0].hint).toContain('update this one');
  });

  test('a version that is not a format version is a wrong type', () => {
    for (const v of ['one', '0', '1.5', '-1']) {
      const r = readPipelineText(`version: ${v}\npipeline: x\nnodes: []\n`);
      expect(r.pipeline, v).toBeNull();
      expect(r.problems[0], v).toMatchObject({ code: 'PW004', line: 1, path: ['version'] });
      expect(r.problems[0].message, v).toContain('"version" must be a format version (1 to 2)');
    }
  });
});

describe('version 1 → 2: the sinks outside Kafka are http-sink, postgres-sink and log-sink', () => {
  const v1 = `version: 1
pipeline: hooks
nodes:
  - id: orders
    kind: kafka-source
    topic: orders
  - id: hook
    kind: http
    input: orders
    url: https://hooks.example.com/orders
    retries: 5
  - { id: audit, kind: log, input: orders }
  - { id: archive, kind: postgres, input: orders, table: orders, columns: [id], key: [id] }
`;

  test('a version-1 file with kinds http, log and postgres is read with http-sink, log-sink and postgres-sink, and written back as version 2', () => {
    const r = parsePipeline(v1);
    expect(r.problems).toEqual([]);
    expect(r.pipeline!.nodes.map((n) => [n.id, n.kind])).toEqual([
      ['orders', 'kafka-source'],
      ['hook', 'http-sink'],
      ['audit', 'log-sink'],
      ['archive', 'postgres-sink'],
    ]);
    expect(r.pipeline!.nodes[1].params).toMatchObject({ url: 'https://hooks.example.com/orders', retries: 5 });
    const written = serializePipeline(r.pipeline!);
    expect(written).toMatch(/^version: 2\n/);
    for (const kind of ['http-sink', 'log-sink', 'postgres-sink']) expect(written).toContain(`kind: ${kind}\n`);
    expect(written).not.toMatch(/kind: (http|log|postgres)\n/);
    expect(parsePipeline(written).pipeline!.nodes.map((n) => n.kind)).toEqual(['kafka-source', 'http-sink', 'log-sink', 'postgres-sink']);
  });

  test('problems in a migrated file are still placed at their line', () => {
    const r = parsePipeline(v1.replace('retries: 5', 'retries: lots'));
    expect(r.problems).toMatchObject([{ code: 'PW015', nodeId: 'hook', line: 11, column: 14, path: ['nodes', 1, 'retries'] }]);
  });

  test('in version 2, the old names are unknown kinds, and the new names are suggested', () => {
    const r = parsePipeline(v1.replace('version: 1', 'version: 2'));
    const unknown = r.problems.filter((p) => p.severity === 'error');
    expect(unknown).toMatchObject([
      { code: 'PW013', nodeId: 'hook', line: 8, column: 11 },
      { code: 'PW013', nodeId: 'audit', line: 12 },
      { code: 'PW013', nodeId: 'archive', line: 13 },
    ]);
    expect(unknown.map((p) => p.hint.match(/^Did you mean "([a-z-]+)"\?/)?.[1])).toEqual(['http-sink', 'log-sink', 'postgres-sink']);
  });

  test('the step renames only nodes whose kind is exactly an old name, and never changes what it is given', () => {
    const step = MIGRATIONS[1];
    const doc = {
      version: 1,
      pipeline: 'x',
      nodes: [
        { id: 'a', kind: 'http', url: 'u' },
        { id: 'b', kind: 'http-ingest' },
        { id: 'c', kind: 'HTTP' },
        { id: 'd' },
        { id: 'e', kind: 'log' },
        { id: 'f', kind: 'postgres', table: 't' },
        { id: 'g', kind: 'kafka-sink' },
      ],
      tests: [{ name: 't', kind: 'http' }],
    };
    const before = structuredClone(doc);
    const out = step(doc);
    expect(out.nodes).toEqual([
      { id: 'a', kind: 'http-sink', url: 'u' },
      { id: 'b', kind: 'http-ingest' },
      { id: 'c', kind: 'HTTP' },
      { id: 'd' },
      { id: 'e', kind: 'log-sink' },
      { id: 'f', kind: 'postgres-sink', table: 't' },
      { id: 'g', kind: 'kafka-sink' },
    ]);
    expect(out.tests).toBe(doc.tests);
    expect(doc).toEqual(before);
  });

  test('the step leaves odd documents alone, for the shape checks to report', () => {
    const step = MIGRATIONS[1];
    const inherited = [{ kind: 'toString' }, { kind: 'constructor' }, { kind: '__proto__' }, { kind: 'hasOwnProperty' }];
    for (const nodes of [undefined, null, 'http', 42, {}, { kind: 'http' }, [null, 'http', 7, ['http'], { kind: null }, { kind: ['log'] }], inherited]) {
      const doc = { pipeline: 'x', nodes };
      expect(step(doc), JSON.stringify(nodes)).toBe(doc);
    }
    const mixed = { nodes: [null, { kind: 'http' }, 'text'] };
    expect(step(mixed)).toEqual({ nodes: [null, { kind: 'http-sink' }, 'text'] });
  });
});
