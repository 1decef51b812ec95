import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { allowedHosts, guard, HttpError } from './node-http.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const status = (headers: Record<string, string>, path = '/api/status', queryToken = false) => {
  const g = { token: 'abc', hosts: allowedHosts('127.0.0.1', 4000) };
  try {
    guard(req(headers), new URL(path, 'http://x'), g, path.startsWith('/api/'), queryToken);
    return 200;
  } catch (e) {
    return (e as HttpError).status;
  }
};

describe('pipewright dev: who may call', () => {
  it('the loopback names at the port, and nothing else', () => {
    expect([...allowedHosts('127.0.0.1', 4000)].sort()).toEqual(['127.0.0.1:4000', '[::1]:4000', 'localhost:4000']);
    expect(status({ host: '127.0.0.1:4000', authorization: 'Bearer abc' })).toBe(200);
    expect(status({ host: 'attacker.example:4000', authorization: 'Bearer abc' })).toBe(403);
    expect(status({ host: '127.0.0.1:4001', authorization: 'Bearer abc' })).toBe(403);
    expect(status({ host: 'localhost:4000', authorization: 'Bearer abc', origin: 'http://localhost:4000' })).toBe(200);
    expect(status({ host: 'localhost:4000', authorization: 'Bearer abc', origin: 'https://localhost:4000' })).toBe(403);
    expect(status({ host: 'localhost:4000', authorization: 'Bearer abc', origin: 'null' })).toBe(403);
  });

  it('the token in the header; in the URL only where EventSource needs it', () => {
    expect(status({ host: '127.0.0.1:4000' })).toBe(401);
    expect(status({ host: '127.0.0.1:4000', authorization: 'Bearer abd' })).toBe(401);
    expect(status({ host: '127.0.0.1:4000' }, '/api/status?token=abc')).toBe(401);
    expect(status({ host: '127.0.0.1:4000' }, '/api/events?token=abc', true)).toBe(200);
    expect(status({ host: '127.0.0.1:4000' }, '/index.html')).toBe(200);
  });

  it('--host 0.0.0.0: the addresses of this machine', () => {
    const own = Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .find((i) => i.family === 'IPv4')!.address;
    expect(allowedHosts('0.0.0.0', 4000).has(`${own}:4000`)).toBe(true);
    expect(allowedHosts('0.0.0.0', 4000).has('0.0.0.0:4000')).toBe(false);
  });
});
