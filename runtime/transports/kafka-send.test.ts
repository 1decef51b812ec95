import { describe, expect, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { groupByTopic, requestTimeoutMs, sendAll } from './kafka.js';

describe('groupByTopic', () => {
  it('hands kafkajs binary keys (a Schema Registry key) as Buffers, text keys as they are', () => {
    const [t] = groupByTopic([
      { topic: 't', key: new Uint8Array([0, 0, 0, 0, 11, 2]), value: 'v', headers: {} },
      { topic: 't', key: 'k', value: 'v', headers: {} },
      { topic: 't', key: null, value: 'v', headers: {} },
    ]);
    expect(Buffer.isBuffer(t.messages[0].key)).toBe(true);
    expect([...(t.messages[0].key as Buffer)]).toEqual([0, 0, 0, 0, 11, 2]);
    expect(t.messages.slice(1).map((m) => m.key)).toEqual(['k', null]);
  });
});

describe('sendAll', () => {
  it('cuts large outputs (many windows closing at once) into requests a broker accepts, in order', async () => {
    const requests: { topic: string; keys: string[] }[][] = [];
    const requestBytes: number[] = [];
    const producer = {
      sendBatch: async ({ topicMessages }: { topicMessages: { topic: string; messages: { key: string; value: string }[] }[] }) => {
        requests.push(topicMessages.map((t) => ({ topic: t.topic, keys: t.messages.map((m) => m.key) })));
        requestBytes.push(topicMessages.reduce((n, t) => n + t.messages.reduce((b, m) => b + Buffer.byteLength(m.key) + Buffer.byteLength(m.value), 0), 0));
        return [];
      },
    } as unknown as Producer;
    // Values of three UTF-8 bytes per character: the cut must count bytes, not characters.
    const messages = Array.from({ length: 4_000 }, (_, i) => ({ topic: i % 2 ? 'a' : 'b', key: `k${i}`, value: '€'.repeat(200), headers: {} }));
    await sendAll(producer, messages);
    expect(requests.length).toBeGreaterThan(1);
    // Each request stays well below a broker's default limit (message.max.bytes, about 1 MiB).
    for (const [i, bytes] of requestBytes.entries()) expect(bytes, `request ${i}`).toBeLessThan(1 << 20);
    const sent = requests.flatMap((r) => r.flatMap((t) => t.keys.map((k) => `${t.topic}:${k}`)));
    expect(sent.sort()).toEqual(messages.map((m) => `${m.topic}:${m.key}`).sort());
    // Per topic, the order is kept across requests.
    const a = requests.flatMap((r) => r.filter((t) => t.topic === 'a').flatMap((t) => t.keys));
    expect(a).toEqual(messages.filter((m) => m.topic === 'a').map((m) => m.key));
    // Nothing to send sends no request at all (an empty request would still cost a round trip).
    const before = requests.length;
    await sendAll(producer, []);
    expect(requests.length).toBe(before);
  });
});

describe('requestTimeoutMs', () => {
  it('outlasts the group session, so a SyncGroup waiting for a dead leader to time out is answered rather than abandoned', () => {
    for (const sessionTimeoutMs of [6_000, 30_000, 45_000, 300_000]) {
      expect(requestTimeoutMs({ sessionTimeoutMs })).toBeGreaterThanOrEqual(sessionTimeoutMs + 10_000);
      // Never shorter than kafkajs's own 30 s.
      expect(requestTimeoutMs({ sessionTimeoutMs })).toBeGreaterThanOrEqual(30_000);
    }
  });
});
