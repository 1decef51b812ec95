/**
 * Live mode end to end: the real `pipewright dev` server on the test broker, the built designer in
 * Chromium. Browse the topics and peek a partition, sample a source from its topic (the file on disk
 * follows), run the pipeline with 2 replicas and see counts on the canvas, tail the dead-letter
 * topic, then stop: the run's consumer group and scratch topics are gone. Writing to the real topics
 * asks first. A change of the file on disk reloads the canvas; with unsaved edits on the canvas too,
 * the designer asks which to keep.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { DevServer } from '../../codegen/dev/node-server.js';
import { brokers } from '../integration/process.js';
import { launchChromium, REPO } from './harness.js';
import { startLiveServer } from './live-harness.js';

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const NAME = `dev-ui-${SUFFIX}`;
const ORDERS = `dev-ui-${SUFFIX}-orders`;
const LARGE = `dev-ui-${SUFFIX}-large`;
const DLQ = `${NAME}.dead-letter`;
const ARTIFACTS = join(REPO, 'test-artifacts', 'live');

const PIPELINE = `version: 1
pipeline: ${NAME}
kafka: { replicationFactor: 1 }
nodes:
  - id: orders
    kind: kafka-source
    topic: ${ORDERS}
    partitions: 2
    samples:
      - { key: c-1, value: { orderId: 1, amount: 250 } }
  - id: large
    kind: filter
    input: orders
    where: value.amount >= 100
  - id: out
    kind: kafka-sink
    input: large
    topic: ${LARGE}
`;

// Real orders: a field the samples lack (currency); later two that are not JSON (dead letters).
const GOOD = Array.from({ length: 10 }, (_, i) => ({ key: `c-${i}`, value: { orderId: i, amount: 40 * i, currency: 'EUR' } }));
const BAD = ['not json {', '{"half":'];

let work: string;
let file: string;
let dev: DevServer;
const devLog: string[] = [];
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let admin: Admin;
let producer: Producer;

const poll = <T>(fn: () => T | Promise<T>, timeout = 60_000) => expect.poll(fn, { timeout, interval: 250 });
const text = async (sel: string) => (await page.textContent(sel))?.trim() ?? '';
const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });

beforeAll(async () => {
  rmSync(ARTIFACTS, { recursive: true, force: true });
  work = mkdtempSync(join(tmpdir(), 'pw-live-'));
  file = join(work, 'pipeline.yaml');
  writeFileSync(file, PIPELINE);
  const kafka = new Kafka({ clientId: `dev-ui-${SUFFIX}`, brokers: brokers().split(','), logLevel: logLevel.ERROR });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: ORDERS, numPartitions: 2, replicationFactor: 1 }] });
  producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: ORDERS,
    messages: GOOD.map((e) => ({ key: e.key, value: JSON.stringify(e.value), headers: { source: 'test' } })),
  });
  // The real server, in this process, serving the end-to-end tests' build of the designer.
  dev = await startLiveServer({ file, brokers: brokers(), work, buildId: inject('designerBuildId'), log: (line) => devLog.push(line) });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(dev.url);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await dev?.close();
  await producer?.disconnect();
  if (admin) {
    const mine = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.includes(SUFFIX));
    await admin.deleteTopics({ topics: mine }).catch(() => {});
    await admin.disconnect();
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the designer live on a real cluster', () => {
  test('browse, peek, sample, run with 2 replicas, tail the dead letters, stop', async () => {
    // The token leaves the address bar; the dock says where it is connected.
    await poll(() => page.locator('[data-testid=live-dock]').isVisible()).toBe(true);
    expect(page.url()).not.toContain('token=');
    await poll(() => text('[data-testid=live-status]')).toContain(`connected to ${brokers()}`);
    await poll(() => page.locator('.react-flow__node').count()).toBe(3);

    // Topics: the orders topic with its partitions and end offsets as the broker has them.
    const ends = (await admin.fetchTopicOffsets(ORDERS)).sort((a, b) => a.partition - b.partition).map((o) => o.high);
    await page.fill('[data-testid=live-topic-filter]', SUFFIX);
    await page.click('[data-testid=live-topics-refresh]');
    await page.click(`[data-testid=live-topic-${ORDERS}]`);
    await poll(() => text('[data-testid=live-end-0]')).toBe(ends[0]);
    expect(await text('[data-testid=live-end-1]')).toBe(ends[1]);
    // Peek the last 3 messages of partition 0: its newest offsets, values decoded or the reason not.
    await page.fill('[data-testid=live-peek-limit]', '3');
    await page.click('[data-testid=live-peek]');
    const rows = page.locator('[data-testid=live-peek-messages-row]');
    const expected = Math.min(3, Number(ends[0]));
    await poll(() => rows.count()).toBe(expected);
    const offsets = await rows.evaluateAll((trs) => trs.map((tr) => tr.children[1].textContent));
    expect(offsets).toEqual(Array.from({ length: expected }, (_, i) => String(Number(ends[0]) - expected + i)));
    await shot('01-topics');

    // Sample the source from its topic: the samples become the real messages, the mismatch is named,
    // and the file on disk follows the canvas.
    await page.click('.react-flow__node[data-id=orders]');
    await page.click('[data-testid=live-sample-button]');
    await poll(() => text('[data-testid=live-sample-report]')).toMatch(/currency/);
    expect(await page.inputValue('#pw-field-samples')).toContain('"currency": "EUR"');
    await poll(() => readFileSync(file, 'utf8')).toContain('currency: EUR');
    await shot('02-sampled');
    // Then two messages that are not JSON: the run will send them to the dead-letter topic.
    await producer.send({ topic: ORDERS, messages: BAD.map((v) => ({ key: 'bad', value: v })) });

    // Writing to the real topics asks first, naming them; cancelling writes nothing.
    await page.click('[data-testid=live-tab-run]');
    await page.check('[data-testid=live-run-real]');
    await page.click('[data-testid=live-run-start]');
    await poll(() => text('[data-testid=live-confirm-real-topics]')).toContain(LARGE);
    await page.click('[data-testid=live-confirm-real-topics-cancel]');
    await page.uncheck('[data-testid=live-run-real]');

    // Run with 2 replicas under the scratch prefix: counts on the canvas, dead letters counted.
    await page.fill('[data-testid=live-run-replicas]', '2');
    await page.click('[data-testid=live-run-start]');
    await poll(() => text('[data-testid=live-run-prefix-shown]'), 30_000).toMatch(/^pwdev-/);
    const prefix = await text('[data-testid=live-run-prefix-shown]');
    await poll(() => text('[data-testid=live-run-ready]'), 180_000).toBe('2');
    const large = GOOD.filter((e) => e.value.amount >= 100).length;
    await poll(() => text('[data-testid=sim-node-out-in]'), 60_000).toBe(`in ${large}`);
    // The canvas count is what the run really wrote: the end offsets of its scratch output topic.
    // (An admin of its own: one that has asked for a topic keeps asking for it after the topic is deleted.)
    const offsetsAdmin = new Kafka({ clientId: `${NAME}-offsets`, brokers: brokers().split(','), logLevel: logLevel.NOTHING }).admin();
    await offsetsAdmin.connect();
    try {
      await poll(async () => (await offsetsAdmin.fetchTopicOffsets(`${prefix}${LARGE}`)).reduce((n, o) => n + Number(o.high), 0)).toBe(large);
    } finally {
      await offsetsAdmin.disconnect();
    }
    await poll(() => text('[data-testid=live-run-dead-letters]')).toBe(String(BAD.length));
    expect(await page.locator('[data-testid="sim-edge-large.out->out.in"]').textContent()).toMatch(new RegExp(`^${large} · [\\d.]+/s$`));
    // Lag per partition, each of the two partitions owned by one of the two replicas.
    const lagRows = page.locator('[data-testid=live-run-lag] tbody tr');
    const cells = () => lagRows.evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => (td.textContent ?? '').trim())));
    await poll(async () => (await cells()).map((c) => [c[0], c[4]])).toEqual([
      [`${ORDERS}[0]`, '0'],
      [`${ORDERS}[1]`, '0'],
    ]);
    await poll(async () => new Set((await cells()).map((c) => c[1]).filter((o) => o !== 'none')).size).toBe(2);
    await shot('03-running');

    // Tail the run's dead-letter topic, then make a dead letter: it shows up.
    await page.click('[data-testid=live-tab-tail]');
    // The tail follows from the end as it is when the server has it: produce once it has answered.
    const following = page.waitForResponse((r) => r.url().endsWith('/api/tail') && r.request().method() === 'POST' && r.ok());
    await page.click(`[data-testid="live-tail-${prefix}${DLQ}"]`);
    await following;
    await producer.send({ topic: ORDERS, messages: [{ key: 'tailed', value: 'still not json' }] });
    const tailed = page.locator(`[data-testid="live-tail-messages-${prefix}${DLQ}-row"]`);
    await poll(() => tailed.count()).toBe(1);
    expect(await tailed.evaluate((tr) => tr.children[3].textContent)).toBe('tailed');
    await shot('04-tail');

    // Stop, deleting the scratch topics: the run's group and its topics are gone from the cluster.
    await page.click('[data-testid=live-tab-run]');
    const group = (await text('[data-testid=live-run-summary]')).match(/group (\S+)/)![1];
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(group);
    await page.click('[data-testid=live-run-stop]');
    await page.click('[data-testid=live-confirm-stop-stop-and-delete-scratch-topics]');
    await poll(() => page.locator('[data-testid=live-run-start]').isVisible()).toBe(true);
    await poll(async () => (await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(group);
    await poll(async () => (await admin.listTopics()).filter((t) => t.startsWith(prefix))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 420_000);

  test('a change of the file on disk reloads the canvas when it has no unsaved edits', async () => {
    writeFileSync(file, readFileSync(file, 'utf8').replace('id: large', 'id: big').replace('input: large', 'input: big'));
    await poll(() => page.locator('.react-flow__node[data-id=big]').count()).toBe(1);
    expect(await page.locator('.react-flow__node[data-id=large]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  test('both changed: the designer asks, shows both, and keep mine writes the canvas to the file', async () => {
    await page.click('.react-flow__node[data-id=orders]');
    // An edit on the canvas, and before it is saved, another one on disk.
    await page.fill('#pw-field-label', 'mine');
    writeFileSync(file, readFileSync(file, 'utf8').replace('value.amount >= 100', 'value.amount >= 200'));
    await poll(() => page.locator('[data-testid=live-conflict]').isVisible()).toBe(true);
    await page.click('[data-testid=live-conflict-show-both]');
    expect(await text('[data-testid=live-conflict-mine]')).toContain('label: mine');
    expect(await text('[data-testid=live-conflict-theirs]')).toContain('value.amount >= 200');
    // The lines that differ are marked on each side.
    expect(await page.locator('[data-testid=live-conflict-mine-differs]').allTextContents()).toEqual(['    label: mine', '    where: value.amount >= 100']);
    expect(await page.locator('[data-testid=live-conflict-theirs-differs]').allTextContents()).toEqual(['    where: value.amount >= 200']);
    await shot('05-conflict');
    await page.click('[data-testid=live-conflict-mine-button]');
    await poll(() => readFileSync(file, 'utf8')).toContain('label: mine');
    expect(readFileSync(file, 'utf8')).toContain('value.amount >= 100');
    expect(await page.locator('[data-testid=live-conflict]').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  }, 90_000);
});
