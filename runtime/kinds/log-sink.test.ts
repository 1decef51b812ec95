import { afterEach, describe, expect, it, vi } from 'vitest';
import { oneNode } from '../../test/harness/one-node.js';

describe('log-sink', () => {
  afterEach(() => vi.restoreAllMocks());

  it('captures what it would write when the graph is not live', async () => {
    const r = await oneNode('log-sink', { include: 'record' }).run([{ n: 1 }]);
    expect(r.captured).toEqual([{ node: 'subject', key: 'k', timestamp: '2024-01-01T00:00:00.000Z', topic: 'in', partition: 0, offset: '0', value: { n: 1 } }]);
  });

  it('writes one JSON line per event to stdout in the service', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
    const r = await oneNode('log-sink', { include: 'value' }, {}, { live: true }).run([{ n: 1 }, 'two']);
    vi.restoreAllMocks();
    expect(lines).toEqual(['{"n":1}\n', '"two"\n']);
    expect(r.captured).toEqual([]);
  });
});
