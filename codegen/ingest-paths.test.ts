import { describe, expect, it } from 'vitest';
import { parsePipeline } from './parse.js';

describe('http-ingest nodes of one pipeline', () => {
  it('cannot share a path: the service has one HTTP port', () => {
    const text = [
      'pipeline: p',
      'nodes:',
      '  - { id: a, kind: http-ingest, topic: t1 }',
      '  - { id: b, kind: http-ingest, topic: t2, path: /events }',
      '  - { id: out, kind: kafka-sink, input: [a, b], topic: u }',
    ].join('\n');
    const errors = parsePipeline(text).problems.filter((x) => x.severity === 'error');
    expect(errors.map((e) => [e.code, e.nodeId, e.line, e.message])).toEqual([['PW147', 'b', 4, 'Nodes "a" and "b" both take POST /events.']]);
  });
});
