/**
 * Node only: the HTTP plumbing of `pipewright dev`: JSON answers and errors, request bodies, the
 * checks every request passes (Host against DNS rebinding, Origin, the token), and Server-Sent Events.
 */
import { timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An answer with a status: what went wrong and, when there is one, how to fix it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

/** An error as the API answers it: `{ error, hint? }`, never a stack. */
export function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof HttpError) return sendJson(res, e.status, { error: e.message, ...(e.hint ? { hint: e.hint } : {}), ...e.extra });
  sendJson(res, 500, { error: `internal error: ${e instanceof Error ? e.message : String(e)}`, hint: 'This is a bug in Pipewright; please report it.' });
}

const MAX_BODY = 4 * 1024 * 1024;

/** The request's JSON body (an object), or a 400/413 that says what is wrong with it. */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `the request body is larger than ${MAX_BODY / 1024 / 1024} MB`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'the request body is not JSON', 'send Content-Type: application/json with a JSON object');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object');
  return body as Record<string, unknown>;
}

export interface Guard {
  token: string;
  /** host:port values the Host header may carry. */
  hosts: Set<string>;
}

/**
 * The hosts a browser reaches the server by: this machine's loopback names, and --host's address
 * (every address of this machine's interfaces when it is 0.0.0.0 or ::).
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const wildcard = host === '0.0.0.0' || host === '::';
  const own = wildcard ? Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)) : [host];
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', ...own.map((a) => (a.includes(':') ? `[${a}]` : a))]);
  return new Set([...names].map((n) => `${n}:${port}`));
}

const sameToken = (given: string, token: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Refuses what must not reach the API: a Host that is not this server (a DNS-rebinding page),
 * an Origin that is not its own (another site's page), a missing or wrong token. Throws HttpError.
 * `queryToken`: EventSource cannot set headers, so /api/events may carry ?token=.
 */
export function guard(req: IncomingMessage, url: URL, g: Guard, api: boolean, queryToken: boolean): void {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!g.hosts.has(host))
    throw new HttpError(403, `Host "${host.slice(0, 100)}" is not this server`, 'open the URL pipewright dev printed (127.0.0.1 or localhost)');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && !g.hosts.has(hostOf(origin)))
    throw new HttpError(403, `requests from ${origin.slice(0, 100)} are not allowed`, 'use the designer that pipewright dev serves');
  if (origin === 'null') throw new HttpError(403, 'requests from an opaque origin are not allowed');
  if (!api) return;
  const auth = req.headers.authorization ?? '';
  const bearer = /^Bearer (.+)$/i.exec(auth)?.[1];
  const given = bearer ?? (queryToken ? url.searchParams.get('token') : null);
  if (!given || !sameToken(given, g.token))
    throw new HttpError(401, given ? 'the token is wrong' : 'no token', 'open the URL with ?token= that pipewright dev printed');
}

function hostOf(origin: string): string {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' ? u.host.toLowerCase() : '';
  } catch {
    return '';
  }
}

/** Server-Sent Events to every open /api/events stream. */
export class EventHub {
  private readonly clients = new Set<ServerResponse>();

  open(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  send(event: string, data: unknown): void {
    const text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(text);
  }

  get size(): number {
    return this.clients.size;
  }

  close(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
