import { describe, expect, test } from 'vitest';
import { migratePipeline, MIGRATIONS, type Migration } from './migrate.js';
import { PIPELINE_FORMAT_VERSION } from './pipeline.js';
import { readPipelineText } from './read.js';

describe('format versions', () => {
  test('a file without version is version 1, and version 1 is read as it is', () => {
    const doc = { pipeline: 'x', nodes: [] };
    expect(migratePipeline(doc)).toEqual({ doc, from: 1 });
    expect(migratePipeline({ ...doc, version: 1 })).toEqual({ doc: { ...doc, version: 1 }, from: 1 });
    expect(PIPELINE_FORMAT_VERSION).toBe(1);
    expect(Object.keys(MIGRATIONS)).toEqual([]);
  });

  test('an older format is upgraded step by step through the table, without touching the original', () => {
    // A format history as it could be: 1 → 2 renames `nodes` to `steps`, 2 → 3 adds `kafka`.
    const table: Record<number, Migration> = {
      1: ({ nodes, ...rest }) => ({ ...rest, steps: nodes }),
      2: (doc) => ({ ...doc, kafka: { profile: 'plaintext' } }),
    };
    const v1 = { version: 1, pipeline: 'x', nodes: [{ id: 'a' }] };
    expect(migratePipeline(v1, 3, table)).toEqual({ doc: { version: 3, pipeline: 'x', steps: [{ id: 'a' }], kafka: { profile: 'plaintext' } }, from: 1 });
    expect(migratePipeline({ version: 2, pipeline: 'x', steps: [] }, 3, table)).toEqual({ doc: { version: 3, pipeline: 'x', steps: [], kafka: { profile: 'plaintext' } }, from: 2 });
    expect(v1).toEqual({ version: 1, pipeline: 'x', nodes: [{ id: 'a' }] });
  });

  test('a missing step in the table is reported as a bug, not read wrong', () => {
    const r = migratePipeline({ version: 1 }, 3, { 2: (d) => d });
    expect(r).toMatchObject({ problem: { code: 'PW007', path: ['version'] } });
  });

  test('a newer version is refused with what, where and how to fix', () => {
    const r = readPipelineText('version: 2\npipeline: x\nnodes: []\n');
    expect(r.pipeline).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ code: 'PW006', severity: 'error', line: 1, column: 10, path: ['version'] });
    expect(r.problems[0].message).toBe('The file is pipeline format version 2, newer than this Pipewright reads (version 1).');
    expect(r.problems[0].hint).toContain('update this one');
  });

  test('a version that is not a format version is a wrong type', () => {
    for (const v of ['one', '0', '1.5', '-1']) {
      const r = readPipelineText(`version: ${v}\npipeline: x\nnodes: []\n`);
      expect(r.pipeline, v).toBeNull();
      expect(r.problems[0], v).toMatchObject({ code: 'PW004', line: 1, path: ['version'] });
      expect(r.problems[0].message, v).toContain('"version" must be a format version (1 to 1)');
    }
  });
});
