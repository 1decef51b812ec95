import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_HEADERS, type RawMessage } from '../types.js';
import { Graph, PipelineFailure, type GraphSpec } from './graph.js';

const raw = (value: string, offset: number, key = 'k'): RawMessage => ({
  key,
  value,
  timestamp: 1000 + offset,
  headers: {},
  origin: { topic: 'in', partition: 2, offset: String(offset) },
});

function spec(policy: GraphSpec['errors']['policy'], extra: GraphSpec['nodes'] = []): GraphSpec {
  return {
    pipeline: 'p',
    errors: { policy, topic: 'p.dead-letter' },
    nodes: [
      { id: 'src', kind: 'kafka-source', params: { topic: 'in', format: 'json' }, inputs: [] },
      { id: 'f', kind: 'filter', params: {}, inputs: [{ port: 'in', from: 'src', fromPort: 'out' }] },
      { id: 'm', kind: 'map', params: {}, inputs: [{ port: 'in', from: 'f', fromPort: 'out' }] },
      { id: 'out', kind: 'kafka-sink', params: { topic: 'out', format: 'json' }, inputs: [{ port: 'in', from: 'm', fromPort: 'out' }] },
      ...extra,
    ],
  };
}

const fns = {
  f: { where: (v: { n: number }) => v.n > 1 },
  m: {
    to: (v: { n: number }) => {
      if (v.n === 3) throw new Error('three is bad');
      return { doubled: v.n * 2 };
    },
  },
};

describe('Graph', () => {
  it('runs filter and map and produces to the sink topic, keeping keys and order', async () => {
    const g = new Graph(spec('dead-letter'), fns);
    const r = await g.process('in', [raw('{"n":1}', 0), raw('{"n":2}', 1), raw('{"n":4}', 2)]);
    expect(r.messages.map((m) => [m.topic, m.key, m.value])).toEqual([
      ['out', 'k', '{"doubled":4}'],
      ['out', 'k', '{"doubled":8}'],
    ]);
    expect(g.stats.get('f')).toEqual({ in: 3, out: 2, errors: 0 });
  });

  it('sends malformed JSON and throwing expressions to the dead-letter topic with provenance', async () => {
    const g = new Graph(spec('dead-letter'), fns);
    const r = await g.process('in', [raw('{broken', 7), raw('{"n":3}', 8), raw('{"n":2}', 9)]);
    expect(r.deadLetters).toBe(2);
    const dl = r.messages.filter((m) => m.topic === 'p.dead-letter');
    expect(dl[0].value).toBe('{broken');
    expect(dl[0].headers[DEAD_LETTER_HEADERS.node]).toBe('src');
    expect(dl[0].headers[DEAD_LETTER_HEADERS.error]).toMatch(/not valid JSON/);
    expect(dl[0].headers[DEAD_LETTER_HEADERS.offset]).toBe('7');
    expect(dl[0].headers[DEAD_LETTER_HEADERS.partition]).toBe('2');
    expect(dl[0].headers[DEAD_LETTER_HEADERS.topic]).toBe('in');
    expect(dl[1].headers[DEAD_LETTER_HEADERS.node]).toBe('m');
    expect(dl[1].headers[DEAD_LETTER_HEADERS.error]).toBe('three is bad');
    // The partition keeps flowing: the good record after the bad ones is still produced.
    expect(r.messages.some((m) => m.topic === 'out' && m.value === '{"doubled":4}')).toBe(true);
  });

  it('drops failures under the skip policy and throws under fail', async () => {
    const skip = await new Graph(spec('skip'), fns).process('in', [raw('nope', 0)]);
    expect(skip).toMatchObject({ deadLetters: 0, skipped: 1, messages: [] });
    await expect(new Graph(spec('fail'), fns).process('in', [raw('nope', 0)])).rejects.toBeInstanceOf(PipelineFailure);
  });

  it('routes failures to a wired error port instead of the policy', async () => {
    const g = new Graph(
      spec('fail', [{ id: 'errs', kind: 'kafka-sink', params: { topic: 'errors', format: 'json' }, inputs: [{ port: 'in', from: 'm', fromPort: 'error' }] }]),
      fns,
    );
    const r = await g.process('in', [raw('{"n":3}', 0)]);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatchObject({ topic: 'errors', value: '{"n":3}' });
    expect(r.messages[0].headers[DEAD_LETTER_HEADERS.error]).toBe('three is bad');
  });
});
