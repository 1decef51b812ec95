import { describe, expect, test } from 'vitest';
import { LiveClient, LiveError, takeLiveToken, TOKEN_KEY } from './api.js';

const TOKEN = 'a'.repeat(64);

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), map: m };
}

describe('takeLiveToken', () => {
  test('moves the token from the address bar to sessionStorage and keeps the rest of the address', () => {
    const storage = memoryStorage();
    let url = '';
    const token = takeLiveToken({ search: `?token=${TOKEN}&x=1`, pathname: '/', hash: '#p=abc' }, storage, (u) => (url = u));
    expect(token).toBe(TOKEN);
    expect(storage.map.get(TOKEN_KEY)).toBe(TOKEN);
    expect(url).toBe('/?x=1#p=abc');
  });

  test('a reload of the tab (no token in the address) stays live with the stored token', () => {
    const storage = memoryStorage();
    storage.setItem(TOKEN_KEY, TOKEN);
    expect(takeLiveToken({ search: '', pathname: '/', hash: '' }, storage, () => undefined)).toBe(TOKEN);
  });

  test('without a token anywhere the page is the static designer, and the address is left alone', () => {
    let replaced = false;
    expect(takeLiveToken({ search: '?x=1', pathname: '/', hash: '' }, memoryStorage(), () => (replaced = true))).toBeNull();
    expect(replaced).toBe(false);
  });

  test('a token that cannot be one is dropped from the address and not used', () => {
    const storage = memoryStorage();
    let url = 'unchanged';
    expect(takeLiveToken({ search: '?token=%3Cscript%3E', pathname: '/', hash: '' }, storage, (u) => (url = u))).toBeNull();
    expect(url).toBe('/');
    expect(storage.map.size).toBe(0);
  });
});

function fakeFetch(answer: (url: string, init: RequestInit) => Response) {
  const calls: { url: string; init: RequestInit }[] = [];
  const f = async (url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    return answer(url, init ?? {});
  };
  return { f, calls };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('LiveClient', () => {
  test('sends the bearer token and JSON, and returns the typed answer', async () => {
    const { f, calls } = fakeFetch(() => json(200, { events: [{ key: 'k', value: { a: 1 } }] }));
    const c = new LiveClient(TOKEN, 'http://127.0.0.1:1', f);
    const r = await c.sample('orders', 5, 'json');
    expect(r.events).toEqual([{ key: 'k', value: { a: 1 } }]);
    expect(calls[0].url).toBe('http://127.0.0.1:1/api/sample');
    expect(calls[0].init.method).toBe('POST');
    expect((calls[0].init.headers as Record<string, string>).Authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.parse(calls[0].init.body as string)).toEqual({ topic: 'orders', limit: 5, format: 'json' });
  });

  test('escapes topic names in the path and the query', async () => {
    const { f, calls } = fakeFetch(() => json(200, { messages: [] }));
    await new LiveClient(TOKEN, '', f).peek('a/b?c', 2, 10);
    expect(calls[0].url).toBe('/api/topics/a%2Fb%3Fc/messages?partition=2&limit=10&format=json');
  });

  test('a refusal becomes an error in the server’s words, with its hint', async () => {
    const { f } = fakeFetch(() => json(409, { error: 'Writing to real topics needs a confirmation.', hint: 'Send confirm: true.' }));
    const e = await new LiveClient(TOKEN, '', f).startRun({ replicas: 2 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LiveError);
    expect((e as LiveError).status).toBe(409);
    expect((e as LiveError).text).toBe('Writing to real topics needs a confirmation. Send confirm: true.');
  });

  test('a 401 without a body says what to do; a dead server says so too', async () => {
    const e401 = (await new LiveClient(TOKEN, '', fakeFetch(() => new Response('', { status: 401 })).f).status().catch((x: unknown) => x)) as LiveError;
    expect(e401.text).toMatch(/did not accept this page’s token.*pipewright dev/);
    const down = (await new LiveClient(TOKEN, '', () => Promise.reject(new TypeError('Failed to fetch'))).topics().catch((x: unknown) => x)) as LiveError;
    expect(down.text).toMatch(/does not answer.*still running/);
  });

  test('a 409 on save keeps the file’s text and version for the merge', async () => {
    const { f } = fakeFetch(() => json(409, { error: 'changed on disk', text: 'version: 1\n', version: 'v2' }));
    const e = (await new LiveClient(TOKEN, '', f).savePipeline('x', 'v1').catch((x: unknown) => x)) as LiveError;
    expect(e.body).toMatchObject({ text: 'version: 1\n', version: 'v2' });
  });

  test('events: the token goes in the address, named events are parsed, a malformed one is dropped', () => {
    const listeners = new Map<string, (e: { data: string }) => void>();
    let url = '';
    let closed = false;
    class FakeSource {
      onerror: (() => void) | null = null;
      onopen: (() => void) | null = null;
      constructor(u: string) {
        url = u;
      }
      addEventListener(name: string, fn: (e: { data: string }) => void) {
        listeners.set(name, fn);
      }
      close() {
        closed = true;
      }
    }
    const seen: string[] = [];
    const stop = new LiveClient(TOKEN, '', fakeFetch(() => json(200, {})).f).events(
      { 'pipeline-changed': (d) => seen.push(d.version), tail: (d) => seen.push(`${d.topic}:${String(d.message.offset)}`) },
      FakeSource as unknown as typeof EventSource,
    );
    expect(url).toBe(`/api/events?token=${TOKEN}`);
    listeners.get('pipeline-changed')!({ data: '{"version":"v9"}' });
    listeners.get('tail')!({ data: 'not json' });
    listeners.get('tail')!({ data: '{"topic":"out","message":{"offset":"4"}}' });
    expect(seen).toEqual(['v9', 'out:4']);
    stop();
    expect(closed).toBe(true);
  });
});
