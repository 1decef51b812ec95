/**
 * The designer's client of the local `pipewright dev` server (live mode): typed requests with the
 * bearer token, the server's Server-Sent Events, and errors in plain words with the server's hint.
 * The page is in live mode only when it was opened with `?token=`; the token then moves to
 * sessionStorage (a reload of the tab stays live) and leaves the address bar.
 */

export const TOKEN_KEY = 'pipewright.live.token';

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
  low: string | number;
  high: string | number;
}
export interface TopicInfo {
  name: string;
  partitions: PartitionInfo[];
  internal: boolean;
  configs?: Record<string, string>;
}
export interface GroupInfo {
  groupId: string;
  state: string;
  protocolType: string;
  members: { memberId: string; clientId: string; host: string; assignment: { topic: string; partitions: number[] }[] }[];
  /** `committed` is -1 where the group has no offset yet. */
  offsets: { topic: string; partition: number; committed: number | string; end: number | string; lag: number | string }[];
}
export interface PeekedMessage {
  partition: number;
  offset: string | number;
  timestamp: string | number;
  key: string | null;
  value: unknown;
  headers: Record<string, string>;
  decodeError?: string;
}
export interface Status {
  brokers: string[];
  connected: boolean;
  error?: string;
  hint?: string;
  pipelinePath: string | null;
  clusterId?: string;
}
export type MessageFormat = 'json' | 'string' | 'bytes';
export interface RunStarted {
  runId: string;
  group: string;
  prefix: string;
}
export interface RunStatus {
  runId: string;
  status: 'building' | 'starting' | 'running' | 'stopped' | 'failed';
  error?: string;
  replicas: { id: string | number; pid?: number; ready: boolean }[];
  nodes: Record<string, { in: number; out: number; errors: number }>;
  /** Per node, events per second since the server's previous poll of the replicas. */
  rates?: Record<string, { in: number; out: number }>;
  lag: { topic: string; partition: number; lag: number }[];
  deadLetters: number;
  outputs: { topic: string; endOffsets: number[] }[];
}
export interface RunStopped {
  stopped: boolean;
  groupDeleted: boolean;
  topicsDeleted: string[];
}

/** A request the server refused or could not answer, in words a user can act on. */
export class LiveError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly hint?: string,
    /** The whole JSON body of the refusal (a 409 on PUT /api/pipeline carries the file's text). */
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
  }
  /** The message and the hint, as one sentence or two for a toast or a panel. */
  get text(): string {
    return this.hint ? `${this.message} ${this.hint}` : this.message;
  }
}

/**
 * The token this page runs live with, or null for the static designer. A token in the address bar
 * is moved to sessionStorage and the address bar is rewritten without it.
 */
export function takeLiveToken(
  location: Pick<Location, 'search' | 'pathname' | 'hash'>,
  storage: Pick<Storage, 'getItem' | 'setItem'> | undefined,
  replaceUrl: (url: string) => void,
): string | null {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl !== null) {
    params.delete('token');
    const rest = params.toString();
    replaceUrl(`${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
    if (!/^[A-Za-z0-9_-]{8,200}$/.test(fromUrl)) return null;
    try {
      storage?.setItem(TOKEN_KEY, fromUrl);
    } catch {
      // Storage disabled: this page stays live until it reloads.
    }
    return fromUrl;
  }
  return storage?.getItem(TOKEN_KEY) ?? null;
}

const STATUS_WORDS: Record<number, string> = {
  401: 'The dev server did not accept this page’s token.',
  403: 'The dev server refused the request from this page.',
  404: 'The dev server does not know this address.',
  409: 'The dev server needs a confirmation.',
  500: 'The dev server failed.',
  502: 'The dev server could not reach Kafka.',
  503: 'The dev server is not ready.',
};

/** A LiveError from a refused response: the server's `{ error, hint }`, or words for the status. */
export async function errorOf(res: Response): Promise<LiveError> {
  let body: Record<string, unknown> | undefined;
  try {
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const message = typeof body?.error === 'string' && body.error ? body.error : (STATUS_WORDS[res.status] ?? `The dev server answered ${res.status}.`);
  let hint = typeof body?.hint === 'string' ? body.hint : undefined;
  if (!hint && res.status === 401) hint = 'Open the address `pipewright dev` printed (with ?token=) again.';
  return new LiveError(message, res.status, hint, body);
}

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface EventHandlers {
  'pipeline-changed'?(data: { version: string }): void;
  run?(data: RunStatus): void;
  tail?(data: { topic: string; message: PeekedMessage }): void;
  /** The stream broke (the server stopped); EventSource retries by itself. */
  error?(): void;
  open?(): void;
}

export class LiveClient {
  constructor(
    readonly token: string,
    private readonly base = '',
    private readonly doFetch: Fetch = (input, init) => fetch(input, init),
  ) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await this.doFetch(`${this.base}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new LiveError('The dev server does not answer.', 0, 'Is `pipewright dev` still running? Start it again and open the address it prints.');
    }
    if (!res.ok) throw await errorOf(res);
    try {
      return (await res.json()) as T;
    } catch {
      throw new LiveError('The dev server sent an answer that is not JSON.', res.status);
    }
  }

  status = () => this.request<Status>('GET', '/api/status');
  topics = () => this.request<{ topics: TopicInfo[] }>('GET', '/api/topics').then((r) => r.topics);
  topic = (name: string) => this.request<TopicInfo>('GET', `/api/topics/${encodeURIComponent(name)}`);
  groups = () => this.request<{ groups: GroupInfo[] }>('GET', '/api/groups').then((r) => r.groups);
  peek = (topic: string, partition: number, limit: number, format: MessageFormat = 'json') =>
    this.request<{ messages: PeekedMessage[] }>(
      'GET',
      `/api/topics/${encodeURIComponent(topic)}/messages?${new URLSearchParams({ partition: String(partition), limit: String(limit), format })}`,
    ).then((r) => r.messages);
  sample = (topic: string, limit: number, format: MessageFormat = 'json') =>
    this.request<{ events: { key: string | null; value: unknown }[]; mismatch?: string[] }>('POST', '/api/sample', { topic, limit, format });
  pipeline = () => this.request<{ text: string; version: string }>('GET', '/api/pipeline');
  savePipeline = (text: string, baseVersion: string | null) => this.request<{ version: string }>('PUT', '/api/pipeline', { text, baseVersion });
  startRun = (body: { replicas: number; prefix?: string; writeToRealTopics?: boolean; confirm?: boolean }) =>
    this.request<RunStarted>('POST', '/api/runs', body);
  run = (id: string) => this.request<RunStatus>('GET', `/api/runs/${encodeURIComponent(id)}`);
  stopRun = (id: string, deleteTopics: boolean) => this.request<RunStopped>('DELETE', `/api/runs/${encodeURIComponent(id)}?deleteTopics=${deleteTopics}`);
  tail = (topic: string) => this.request<unknown>('POST', '/api/tail', { topic, from: 'end' });
  untail = (topic: string) => this.request<unknown>('DELETE', `/api/tail/${encodeURIComponent(topic)}`);
  createTopic = (name: string, partitions: number, confirm: boolean) => this.request<unknown>('POST', '/api/topics', { name, partitions, confirm });
  resetOffsets = (group: string, topic: string, to: 'earliest' | 'latest', confirm: boolean) =>
    this.request<unknown>('POST', `/api/groups/${encodeURIComponent(group)}/reset`, { topic, to, confirm });

  /** Listen to the server's events; returns the function that stops listening. */
  events(handlers: EventHandlers, Source: typeof EventSource = EventSource): () => void {
    const source = new Source(`${this.base}/api/events?token=${encodeURIComponent(this.token)}`);
    for (const name of ['pipeline-changed', 'run', 'tail'] as const) {
      source.addEventListener(name, (e) => {
        let data: unknown;
        try {
          data = JSON.parse((e as MessageEvent<string>).data);
        } catch {
          return; // not ours to show: a malformed event is dropped
        }
        (handlers[name] as ((d: unknown) => void) | undefined)?.(data);
      });
    }
    source.onerror = () => handlers.error?.();
    source.onopen = () => handlers.open?.();
    return () => source.close();
  }
}
