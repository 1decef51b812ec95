// `pipewright dev`, the live-mode server, against the real broker: what a user of the designer
// relies on. Strangers are refused (no token, another site's page, a rebinding host name, a path out
// of the designer folder); topics, groups, the last messages of a partition and a sample with its
// shape mismatch come from real topics; the pipeline file is saved with versions, conflicts and
// change events; a run of two replicas writes every matching order to its scratch topic, and
// stopping it leaves no consumer group behind.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../codegen/dev/node-server.js';
import { configFromEnv } from '../../runtime/service/config.js';
import { brokers, freePort, repoRoot, secureListeners, waitFor } from './process.js';

const tag = `dev-server-${randomBytes(3).toString('hex')}`;
const input = `${tag}-orders`;
const sink = `${tag}-large`;
const misc = `${tag}-misc`;
const work = mkdtempSync(join(tmpdir(), 'pipewright-dev-'));
const pipelineFile = join(work, 'pipeline.yaml');
const designer = join(work, 'designer');
let admin: Admin;
let producer: Producer;
let dev: DevServer;

/** large-orders with names of this run: orders of 100 or more go to the sink. */
function pipelineText(): string {
  const doc = parseDocument(readFileSync(join(repoRoot, 'examples/large-orders/pipeline.yaml'), 'utf8'));
  doc.set('pipeline', tag);
  doc.setIn(['kafka', 'replicationFactor'], 1);
  doc.setIn(['nodes', 0, 'topic'], input);
  doc.setIn(['nodes', 0, 'partitions'], 2);
  doc.setIn(['nodes', 3, 'topic'], sink);
  doc.setIn(['nodes', 3, 'partitions'], 2);
  return doc.toString();
}

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${dev.origin}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${dev.token}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });
const json = async (path: string, init: RequestInit = {}) => {
  const res = await api(path, init);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

/** A request with headers fetch will not set (Host). */
function raw(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: dev.port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The events of /api/events as they arrive. */
async function openEvents(): Promise<{ events: { event: string; data: any }[]; close: () => void }> {
  const controller = new AbortController();
  const res = await fetch(`${dev.origin}/api/events?token=${dev.token}`, { signal: controller.signal });
  expect(res.status).toBe(200);
  const events: { event: string; data: any }[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })();
  return { events, close: () => controller.abort() };
}

beforeAll(async () => {
  writeFileSync(pipelineFile, pipelineText());
  mkdirSync(designer);
  writeFileSync(join(designer, 'index.html'), '<!doctype html><title>designer</title>');
  writeFileSync(join(work, 'secret.txt'), 'not for the page');
  const kafka = new Kafka({ clientId: tag, brokers: brokers().split(','), logLevel: logLevel.ERROR });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: input, numPartitions: 2, replicationFactor: 1 },
      { topic: misc, numPartitions: 2, replicationFactor: 1 },
    ],
  });
  const config = configFromEnv({ KAFKA_BROKERS: brokers() }, { pipeline: 'pipewright-dev' });
  dev = await startDevServer({
    config,
    pipelinePath: pipelineFile,
    host: '127.0.0.1',
    port: 0,
    designerDir: designer,
    cacheDir: join(work, 'builds'),
    log: () => undefined,
  });
});

afterAll(async () => {
  await dev?.close();
  if (admin) {
    const topics = (await admin.listTopics()).filter((t) => t.includes(tag));
    await admin.deleteTopics({ topics }).catch(() => {});
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes(tag));
    await admin.deleteGroups(groups).catch(() => {});
    await admin.disconnect();
  }
  await producer?.disconnect();
  rmSync(work, { recursive: true, force: true });
});

describe('pipewright dev: who may use it', () => {
  it('refuses a request without the token, with a wrong one, from another site, or for another host name', async () => {
    expect((await fetch(`${dev.origin}/api/status`)).status).toBe(401);
    expect((await fetch(`${dev.origin}/api/status`, { headers: { authorization: 'Bearer 00' } })).status).toBe(401);
    // The query-string token is for EventSource only.
    expect((await fetch(`${dev.origin}/api/status?token=${dev.token}`)).status).toBe(401);
    const ok = await raw('/api/status', { authorization: `Bearer ${dev.token}`, host: `127.0.0.1:${dev.port}` });
    expect(ok.status).toBe(200);
    const fromElsewhere = await raw('/api/status', { authorization: `Bearer ${dev.token}`, host: `127.0.0.1:${dev.port}`, origin: 'http://evil.example' });
    expect(fromElsewhere.status).toBe(403);
    expect(JSON.parse(fromElsewhere.body).error).toMatch(/evil\.example/);
    const rebound = await raw('/api/status', { authorization: `Bearer ${dev.token}`, host: `evil.example:${dev.port}` });
    expect(rebound.status).toBe(403);
    expect((await raw('/', { host: `evil.example:${dev.port}` })).status).toBe(403);
    expect(
      (await raw('/api/status', { authorization: `Bearer ${dev.token}`, host: `localhost:${dev.port}`, origin: `http://localhost:${dev.port}` })).status,
    ).toBe(200);
  });

  it('serves the designer, and nothing outside its folder', async () => {
    const page = await raw('/', { host: `127.0.0.1:${dev.port}` });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>designer</title>');
    for (const path of ['/..%2fsecret.txt', '/%2e%2e/secret.txt', '/..%5csecret.txt', '/../secret.txt']) {
      const r = await raw(path, { host: `127.0.0.1:${dev.port}` });
      expect(r.body, path).not.toContain('not for the page');
    }
    expect((await raw('/..%2fsecret.txt', { host: `127.0.0.1:${dev.port}` })).status).toBe(403);
  });
});

describe('pipewright dev: the cluster', () => {
  it('status: connected, with the cluster id; unreachable brokers say so and the server stays up', async () => {
    const { body } = await json('/api/status');
    expect(body).toMatchObject({ connected: true, brokers: brokers().split(','), pipelinePath: pipelineFile });
    expect(body.clusterId).toEqual(expect.any(String));
    const nowhere = `127.0.0.1:${await freePort()}`;
    const down = await startDevServer({
      config: configFromEnv({ KAFKA_BROKERS: nowhere }, { pipeline: 'x' }),
      host: '127.0.0.1',
      port: 0,
      designerDir: null,
      cacheDir: work,
      log: () => undefined,
    });
    try {
      const auth = { headers: { authorization: `Bearer ${down.token}` } };
      const status = (await (await fetch(`${down.origin}/api/status`, auth)).json()) as Record<string, any>;
      expect(status).toMatchObject({ connected: false, pipelinePath: null });
      expect(status.error).toContain(`cannot reach the brokers at KAFKA_BROKERS=${nowhere}`);
      expect(status.hint).toMatch(/--brokers/);
      const topics = await fetch(`${down.origin}/api/topics`, auth);
      expect(topics.status).toBe(503);
      expect(((await topics.json()) as { error: string }).error).toContain('cannot reach the brokers');
      expect((await fetch(`${down.origin}/api/status`, auth)).status).toBe(200);
    } finally {
      await down.close();
    }
  });

  it('credentials from the environment, as the service reads them: a wrong password is named in the status', async () => {
    const { secure, stop } = await secureListeners();
    const status = async (password: string) => {
      const env = {
        KAFKA_BROKERS: secure.scram.brokers,
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: secure.scram.username,
        KAFKA_SASL_PASSWORD: password,
        KAFKA_SSL_CA: secure.ca,
      };
      const server = await startDevServer({
        config: configFromEnv(env, { pipeline: 'x' }),
        host: '127.0.0.1',
        port: 0,
        designerDir: null,
        cacheDir: work,
        log: () => undefined,
      });
      try {
        return (await (await fetch(`${server.origin}/api/status`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as Record<string, any>;
      } finally {
        await server.close();
      }
    };
    try {
      expect(await status(secure.scram.password)).toMatchObject({ connected: true });
      const refused = await status('wrong-password');
      expect(refused.connected).toBe(false);
      expect(refused.error).toMatch(/Kafka refused the SASL scram-sha-512 authentication .*check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    } finally {
      await stop();
    }
  });

  it('topics with partitions and offsets; one topic with its configs; the last messages of a partition, decoded', async () => {
    await producer.send({
      topic: misc,
      messages: [
        { partition: 1, key: 'a', value: JSON.stringify({ n: 1 }), headers: { source: 'test' } },
        { partition: 1, key: 'b', value: JSON.stringify({ n: 2 }) },
        { partition: 1, key: null, value: 'not json' },
        { partition: 0, key: 'c', value: JSON.stringify({ n: 3 }) },
      ],
    });
    const { body } = await json('/api/topics');
    const listed = body.topics.find((t: { name: string }) => t.name === misc);
    expect(listed.partitions.map((p: { partition: number; low: number; high: number }) => [p.partition, p.low, p.high])).toEqual([
      [0, 0, 1],
      [1, 0, 3],
    ]);
    expect(listed.internal).toBe(false);
    const one = await json(`/api/topics/${misc}`);
    expect(one.body.configs['cleanup.policy']).toBe('delete');
    expect((await json(`/api/topics/${tag}-none`)).status).toBe(404);
    const peek = await json(`/api/topics/${misc}/messages?partition=1&limit=2&format=json`);
    expect(peek.body.messages.map((m: any) => [m.partition, m.offset, m.key, m.value])).toEqual([
      [1, 1, 'b', { n: 2 }],
      [1, 2, null, 'not json'],
    ]);
    expect(peek.body.messages[1].decodeError).toMatch(/not JSON/);
    const first = await json(`/api/topics/${misc}/messages?partition=1&limit=3`);
    expect(first.body.messages[0]).toMatchObject({ offset: 0, key: 'a', value: { n: 1 }, headers: { source: 'test' } });
    expect(first.body.messages[0].timestamp).toEqual(expect.any(Number));
    expect((await json(`/api/topics/${misc}/messages?limit=501`)).status).toBe(400);
  });

  it('groups with members and lag per partition; offsets reset only with confirm', async () => {
    await producer.send({
      topic: input,
      messages: [0, 1, 2].map((i) => ({ partition: 0, key: `k${i}`, value: JSON.stringify({ orderId: i, customer: 'c', amount: 'lots', currency: 'EUR' }) })),
    });
    const group = `${tag}-readers`;
    await admin.setOffsets({ groupId: group, topic: input, partitions: [{ partition: 0, offset: '1' }] });
    const { body } = await json('/api/groups');
    const g = body.groups.find((x: { groupId: string }) => x.groupId === group);
    expect(g.members).toEqual([]);
    expect(g.offsets).toEqual([{ topic: input, partition: 0, committed: 1, end: 3, lag: 2 }]);
    const unconfirmed = await json(`/api/groups/${group}/reset`, { method: 'POST', body: JSON.stringify({ topic: input, to: 'latest' }) });
    expect(unconfirmed.status).toBe(409);
    expect((await json(`/api/groups/${group}/reset`, { method: 'POST', body: JSON.stringify({ topic: input, to: 'latest', confirm: true }) })).status).toBe(
      200,
    );
    const after = (await json('/api/groups')).body.groups.find((x: { groupId: string }) => x.groupId === group);
    expect(after.offsets).toEqual([
      { topic: input, partition: 0, committed: 3, end: 3, lag: 0 },
      { topic: input, partition: 1, committed: 0, end: 0, lag: 0 },
    ]);
  });

  it("sample: the topic's events, and how their shape differs from the source's samples", async () => {
    const { body } = await json('/api/sample', { method: 'POST', body: JSON.stringify({ topic: input, limit: 10, format: 'json' }) });
    expect(body.events).toHaveLength(3);
    expect(body.events[0]).toEqual({ key: 'k0', value: { orderId: 0, customer: 'c', amount: 'lots', currency: 'EUR' } });
    expect(body.mismatch).toEqual(['amount is number in the samples but string in the messages']);
  });

  it('sample: messages that are not in the format are left out of the samples, and said', async () => {
    const mixed = `${tag}-mixed`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: mixed, numPartitions: 1, replicationFactor: 1 }] });
    await producer.send({
      topic: mixed,
      messages: [
        { key: 'a', value: JSON.stringify({ n: 1 }) },
        { key: 'b', value: 'not json' },
        { key: 'c', value: JSON.stringify({ n: 3 }) },
      ],
    });
    const { body } = await json('/api/sample', { method: 'POST', body: JSON.stringify({ topic: mixed, limit: 10, format: 'json' }) });
    expect(body.events).toEqual([
      { key: 'a', value: { n: 1 } },
      { key: 'c', value: { n: 3 } },
    ]);
    expect(body.mismatch).toEqual(['1 of the 3 messages are not json and were left out (the first at partition 0, offset 1)']);
  });

  it('tail: messages written to a tailed topic arrive as events, until the tail is removed', async () => {
    const events = await openEvents();
    try {
      expect((await json('/api/tail', { method: 'POST', body: JSON.stringify({ topic: misc, from: 'end' }) })).body).toEqual({ tailing: misc });
      await producer.send({ topic: misc, messages: [{ partition: 0, key: 'tailed', value: JSON.stringify({ n: 9 }) }] });
      const seen = await waitFor('the tailed message', 20_000, () => events.events.find((e) => e.event === 'tail' && e.data.message.key === 'tailed'));
      expect(seen.data).toMatchObject({ topic: misc, message: { partition: 0, offset: 1, key: 'tailed', value: { n: 9 } } });
      expect((await json(`/api/tail/${misc}`, { method: 'DELETE' })).status).toBe(200);
      expect((await json(`/api/tail/${misc}`, { method: 'DELETE' })).status).toBe(404);
    } finally {
      events.close();
    }
  });

  it('creates a topic only with confirm', async () => {
    const name = `${tag}-made`;
    expect((await json('/api/topics', { method: 'POST', body: JSON.stringify({ name, partitions: 3 }) })).status).toBe(409);
    expect(await admin.listTopics()).not.toContain(name);
    expect((await json('/api/topics', { method: 'POST', body: JSON.stringify({ name, partitions: 3, confirm: true }) })).status).toBe(200);
    expect((await admin.fetchTopicMetadata({ topics: [name] })).topics[0].partitions).toHaveLength(3);
    expect((await json('/api/topics', { method: 'POST', body: JSON.stringify({ name: '../x', partitions: 1, confirm: true }) })).status).toBe(400);
  });
});

describe('pipewright dev: the pipeline file', () => {
  it('saves with versions, refuses a stale version with what is on disk, and announces changes made on disk', async () => {
    const events = await openEvents();
    try {
      const first = await json('/api/pipeline');
      expect(first.body.text).toBe(readFileSync(pipelineFile, 'utf8'));
      const edited = first.body.text.replace('Keep orders of 100', 'Keep the orders of 100');
      const saved = await json('/api/pipeline', {
        method: 'PUT',
        body: JSON.stringify({ text: edited, baseVersion: first.body.version, path: join(work, 'elsewhere.yaml') }),
      });
      expect(saved.status).toBe(200);
      expect(readFileSync(pipelineFile, 'utf8')).toBe(edited);
      await waitFor('pipeline-changed for the save', 10_000, () =>
        events.events.some((e) => e.event === 'pipeline-changed' && e.data.version === saved.body.version),
      );
      expect(existsSync(join(work, 'elsewhere.yaml'))).toBe(false);
      const stale = await json('/api/pipeline', { method: 'PUT', body: JSON.stringify({ text: 'pipeline: lost', baseVersion: first.body.version }) });
      expect(stale.status).toBe(409);
      expect(stale.body).toMatchObject({ text: edited, version: saved.body.version });
      expect(readFileSync(pipelineFile, 'utf8')).toBe(edited);
      // An editor saves the file.
      writeFileSync(pipelineFile, pipelineText());
      const now = (await json('/api/pipeline')).body.version;
      expect(now).not.toBe(saved.body.version);
      await waitFor('pipeline-changed with the version on disk', 10_000, () =>
        events.events.some((e) => e.event === 'pipeline-changed' && e.data.version === now),
      );
    } finally {
      events.close();
    }
  });

  it('an invalid pipeline: a run is refused with the problems as validate gives them, and the server carries on', async () => {
    const good = await json('/api/pipeline');
    const bad = good.body.text.replace('where: value.amount >= 100', 'where: value.amount >=');
    await json('/api/pipeline', { method: 'PUT', body: JSON.stringify({ text: bad, baseVersion: good.body.version }) });
    const run = await json('/api/runs', { method: 'POST', body: JSON.stringify({ replicas: 1 }) });
    expect(run.status).toBe(422);
    expect(run.body.error).toMatch(/the pipeline has \d+ error\(s\)/);
    expect(run.body.problems.some((p: { code: string; text: string }) => p.code === 'PW030' || /PW03\d/.test(p.text))).toBe(true);
    expect(run.body.hint).toContain('pipeline.yaml:');
    const back = await json('/api/pipeline');
    expect(back.body.problems.length).toBeGreaterThan(0);
    expect((await json('/api/pipeline', { method: 'PUT', body: JSON.stringify({ text: good.body.text, baseVersion: back.body.version }) })).status).toBe(200);
  });
});

describe('pipewright dev: a run', () => {
  it('two replicas write every order of 100 or more to the scratch topic; stopping deletes the group and the scratch topics', async () => {
    expect((await json('/api/runs', { method: 'POST', body: JSON.stringify({ replicas: 2, writeToRealTopics: true }) })).status).toBe(409);
    const events = await openEvents();
    const started = await json('/api/runs', { method: 'POST', body: JSON.stringify({ replicas: 2 }) });
    expect(started.status).toBe(200);
    const { runId, group, prefix } = started.body;
    expect(group).toBe(`pipewright-dev-${tag}-${runId}`);
    expect(prefix).toBe(`pwdev-${runId}-`);
    const view = () => json(`/api/runs/${runId}`).then((r) => r.body);
    await waitFor(
      'the run to be running',
      240_000,
      async () => {
        const v = await view();
        if (v.status === 'failed') throw new Error(v.error);
        return v.status === 'running' && v.replicas.length === 2 && v.replicas.every((r: { ready: boolean }) => r.ready);
      },
      () => JSON.stringify(view),
    );
    const orders = Array.from({ length: 30 }, (_, i) => ({
      key: `c-${i % 7}`,
      value: JSON.stringify({ orderId: i, customer: `c-${i % 7}`, amount: i % 3 === 0 ? 50 : 150, currency: 'EUR' }),
    }));
    await producer.send({ topic: input, messages: orders });
    const large = orders.filter((o) => JSON.parse(o.value).amount >= 100).length;
    const done = await waitFor('the scratch output to hold every large order', 60_000, async () => {
      const v = await view();
      const out = v.outputs.find((o: { topic: string }) => o.topic === `${prefix}${sink}`);
      return out && out.endOffsets.reduce((a: number, b: number) => a + b, 0) === large && v.nodes['large-orders']?.in === large ? v : undefined;
    });
    expect(done.nodes.large.in).toBe(30 + 3);
    expect(done.deadLetters).toBe(0);
    expect(await admin.listTopics()).not.toContain(sink);
    // The designer follows the run on /api/events.
    await waitFor('a run event with the counts', 10_000, () =>
      events.events.some((e) => e.event === 'run' && e.data.runId === runId && e.data.nodes.large?.in === 33),
    );
    events.close();
    const stopped = await json(`/api/runs/${runId}?deleteTopics=true`, { method: 'DELETE' });
    expect(stopped.body).toMatchObject({ stopped: true, groupDeleted: true });
    expect(stopped.body.topicsDeleted).toContain(`${prefix}${sink}`);
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(group);
    expect((await admin.listTopics()).filter((t) => t.startsWith(prefix))).toEqual([]);
    expect((await view()).status).toBe('stopped');
  }, 400_000);

  it('a topic deleted mid-run: the run fails with the topic named; stopping deletes only the topics the run made', async () => {
    // A prefix of the user's choosing, under which a topic exists already: it is not the run's to delete.
    const prefix = `${tag}-mine-`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: `${prefix}${sink}`, numPartitions: 2, replicationFactor: 1 }] });
    const { body } = await json('/api/runs', { method: 'POST', body: JSON.stringify({ replicas: 1, prefix }) });
    expect(body.prefix).toBe(prefix);
    const view = () => json(`/api/runs/${body.runId}`).then((r) => r.body);
    await waitFor('the run to be running', 240_000, async () => (await view()).status === 'running');
    await admin.deleteTopics({ topics: [input] });
    const failed = await waitFor('the run to fail', 60_000, async () => {
      const v = await view();
      return v.status === 'failed' ? v : undefined;
    });
    expect(failed.error).toContain(input);
    const stopped = await json(`/api/runs/${body.runId}?deleteTopics=true`, { method: 'DELETE' });
    expect(stopped.body).toMatchObject({ stopped: true, groupDeleted: true, topicsDeleted: [`${prefix}${tag}.dead-letter`] });
    expect(await admin.listTopics()).toContain(`${prefix}${sink}`);
  }, 400_000);
});
