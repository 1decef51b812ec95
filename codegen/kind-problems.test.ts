import { describe, expect, it } from 'vitest';
import { parsePipeline } from './parse.js';

const errorsOf = (window: string) => {
  const text = [
    'pipeline: p',
    'nodes:',
    '  - { id: in, kind: kafka-source, topic: t }',
    `  - { id: w, kind: window, input: in, ${window} }`,
    '  - { id: out, kind: kafka-sink, input: w, topic: u }',
  ].join('\n');
  return parsePipeline(text)
    .problems.filter((x) => x.severity === 'error')
    .map((e) => [e.code, e.path.at(-1)]);
};

describe("a kind's own problems", () => {
  it('each have a code of their own, to look up', () => {
    expect(errorsOf('type: tumbling, size: an hour')).toEqual([['PW104', 'size']]);
    expect(errorsOf('type: tumbling, size: 0s')).toEqual([['PW105', 'size']]);
    expect(errorsOf('type: hopping, size: 1h')).toEqual([['PW106', 'advance']]);
    expect(errorsOf('type: hopping, size: 1h, advance: 2h')).toEqual([['PW107', 'advance']]);
    const routes = parsePipeline(
      ['pipeline: p', 'nodes:', '  - { id: in, kind: kafka-source, topic: t }', '  - { id: b, kind: branch, input: in, routes: { default: "true" } }'].join(
        '\n',
      ),
    ).problems.filter((x) => x.severity === 'error');
    expect(routes.map((e) => e.code)).toEqual(['PW121']);
  });
});
