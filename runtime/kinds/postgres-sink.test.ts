// The postgres sink against the real PostgreSQL on 127.0.0.1:5432 (database test, trust auth).
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { oneNode } from '../../test/harness/one-node.js';
import { DEAD_LETTER_HEADERS, type RawMessage } from '../types.js';
import { OFFSETS_TABLE, postgresSink, upsertSql } from './postgres-sink.js';
import { withDefaults } from './spec.js';

const URL = process.env.PW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const table = `pw_sink_${randomUUID().slice(0, 8)}`;
let admin: pg.Client;

beforeAll(async () => {
  admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  await admin.query(`CREATE TABLE ${table} (order_id text PRIMARY KEY, customer text NOT NULL, amount numeric, meta jsonb)`);
  await admin.query(`CREATE TABLE ${table}_nokey (order_id text, customer text)`);
  // Every write the sink makes to the replay table, counted by a trigger the sink knows nothing of.
  await admin.query(`CREATE TABLE ${table}_eos (order_id text PRIMARY KEY, customer text NOT NULL, amount numeric)`);
  await admin.query(`CREATE TABLE ${table}_writes (order_id text, op text)`);
  await admin.query(
    `CREATE FUNCTION ${table}_count() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ${table}_writes VALUES (NEW.order_id, TG_OP); RETURN NEW; END $$`,
  );
  await admin.query(`CREATE TRIGGER ${table}_count AFTER INSERT OR UPDATE ON ${table}_eos FOR EACH ROW EXECUTE FUNCTION ${table}_count()`);
  process.env.PW_TEST_PG_URL = URL;
});

// Each test is a consumer group of its own: the harness numbers its input offsets from 0 again.
let group = '';
beforeEach(() => {
  group = `unit-${randomUUID().slice(0, 8)}`;
  process.env.KAFKA_GROUP_ID = group;
});

afterAll(async () => {
  await admin.query(`DROP TABLE IF EXISTS ${table}, ${table}_nokey, ${table}_eos, ${table}_writes`);
  await admin.query(`DROP FUNCTION IF EXISTS ${table}_count()`);
  await admin.query(`DELETE FROM ${OFFSETS_TABLE} WHERE group_id LIKE 'unit-%'`).catch(() => {});
  await admin.end();
  delete process.env.PW_TEST_PG_URL;
  delete process.env.KAFKA_GROUP_ID;
});

const params = (over: Record<string, unknown> = {}) => ({
  table,
  columns: ['order_id', 'customer', 'amount', 'meta'],
  key: ['order_id'],
  urlEnv: 'PW_TEST_PG_URL',
  retries: 1,
  backoffMs: 10,
  ...over,
});
const rows = async () =>
  (await admin.query(`SELECT order_id, customer, amount::float8 AS amount, meta, xmin::text AS tx FROM ${table} ORDER BY order_id`)).rows;

describe('postgres sink', () => {
  it('upserts a batch in one statement, the last event per key winning, and updates on the next batch', async () => {
    const node = oneNode('postgres-sink', params(), {}, { live: true });
    await node.graph.start();
    const r = await node.run([
      { order_id: 'o-1', customer: 'c-1', amount: 10, meta: { source: 'web' } },
      { order_id: 'o-2', customer: 'c-2', amount: 20 },
      { order_id: 'o-1', customer: 'c-1', amount: 11, ignored: true },
    ]);
    expect(r.dead).toEqual([]);
    let got = await rows();
    expect(got.map((x) => [x.order_id, x.customer, x.amount, x.meta])).toEqual([
      ['o-1', 'c-1', 11, null],
      ['o-2', 'c-2', 20, null],
    ]);
    // One statement, so one transaction wrote both rows.
    expect(new Set(got.map((x) => x.tx)).size).toBe(1);
    await node.run([{ order_id: 'o-2', customer: 'c-9', amount: 21, meta: { note: 'moved' } }]);
    got = await rows();
    expect(got[1]).toMatchObject({ order_id: 'o-2', customer: 'c-9', amount: 21, meta: { note: 'moved' } });
    await node.graph.close();
  });

  it('sends only the rows the database rejects to the error port', async () => {
    const node = oneNode('postgres-sink', params(), {}, { live: true });
    const r = await node.run([
      { order_id: 'o-3', customer: 'c-3', amount: 30 },
      { order_id: 'o-4', customer: 'c-4', amount: 'not a number' },
      { order_id: 'o-5', amount: 50 },
      { order_id: 'o-6', customer: 'c-6', amount: 60 },
      'not an object',
    ]);
    expect(r.dead.map((d) => d.headers[DEAD_LETTER_HEADERS.error])).toEqual([
      'the event is not an object, so it has no columns',
      'PostgreSQL rejected the row: invalid input syntax for type numeric: "not a number"',
      'PostgreSQL rejected the row: null value in column "customer" of relation "' + table + '" violates not-null constraint',
    ]);
    expect((await rows()).map((x) => x.order_id)).toEqual(['o-1', 'o-2', 'o-3', 'o-6']);
    await node.graph.close();
  });

  it('writes a slice consumed again (a transaction that did not commit) only once, and what lies past its offsets', async () => {
    const node = oneNode('postgres-sink', params({ table: `${table}_eos`, columns: ['order_id', 'customer', 'amount'] }), {}, { live: true });
    await node.graph.start();
    const msg = (offset: number, value: unknown, partition = 0): RawMessage => ({
      key: null,
      value: JSON.stringify(value),
      timestamp: 1704067200000 + offset,
      headers: {},
      origin: { topic: 'in', partition, offset: String(offset) },
    });
    const writes = async () => (await admin.query(`SELECT order_id, op FROM ${table}_writes ORDER BY order_id, op`)).rows.map((r) => `${r.order_id} ${r.op}`);
    const state = async () => (await admin.query(`SELECT order_id, customer, amount::float8 AS amount FROM ${table}_eos ORDER BY order_id`)).rows;
    const stored = async () =>
      (
        await admin.query(
          `SELECT partition, "offset"::int AS o FROM ${OFFSETS_TABLE} WHERE group_id = $1 AND node = 'subject' AND topic = 'in' ORDER BY partition`,
          [group],
        )
      ).rows;

    const slice = [
      msg(0, { order_id: 'o-1', customer: 'c-1', amount: 1 }),
      msg(1, { order_id: 'o-2', customer: 'c-2', amount: 2 }),
      msg(2, { order_id: 'o-1', customer: 'c-1', amount: 3 }),
      msg(7, { order_id: 'o-4', customer: 'c-4', amount: 4 }, 1),
    ];
    await node.graph.process('in', slice);
    expect(await writes()).toEqual(['o-1 INSERT', 'o-2 INSERT', 'o-4 INSERT']);
    const first = await state();
    expect(await stored()).toEqual([
      { partition: 0, o: 2 },
      { partition: 1, o: 7 },
    ]);

    // The same slice again, as after a producer fenced in a rebalance: nothing is written.
    await node.graph.process('in', slice);
    expect(await writes()).toEqual(['o-1 INSERT', 'o-2 INSERT', 'o-4 INSERT']);
    expect(await state()).toEqual(first);

    // A slice that starts inside the one written: only the records past the stored offset are written.
    await node.graph.process('in', [
      msg(2, { order_id: 'o-1', customer: 'c-1', amount: 3 }),
      msg(3, { order_id: 'o-2', customer: 'c-2', amount: 20 }),
      msg(4, { order_id: 'o-3', customer: 'c-3', amount: 30 }),
    ]);
    expect(await writes()).toEqual(['o-1 INSERT', 'o-2 INSERT', 'o-2 UPDATE', 'o-3 INSERT', 'o-4 INSERT']);
    expect((await state()).map((r) => [r.order_id, r.amount])).toEqual([
      ['o-1', 3],
      ['o-2', 20],
      ['o-3', 30],
      ['o-4', 4],
    ]);
    expect(await stored()).toEqual([
      { partition: 0, o: 4 },
      { partition: 1, o: 7 },
    ]);

    // A row the database rejects goes to the error port each time its slice is consumed, and is written by neither.
    const bad = [msg(5, { order_id: 'o-5', amount: 5 }), msg(6, { order_id: 'o-6', customer: 'c-6', amount: 6 })];
    for (let n = 0; n < 2; n++) {
      const r = await node.graph.process('in', bad);
      expect(r.messages.filter((m) => m.topic === 'unit.dead-letter').map((m) => m.headers[DEAD_LETTER_HEADERS.offset])).toEqual(['5']);
    }
    expect(await writes()).toEqual(['o-1 INSERT', 'o-2 INSERT', 'o-2 UPDATE', 'o-3 INSERT', 'o-4 INSERT', 'o-6 INSERT']);
    await node.graph.close();
  });

  it('keeps the offsets in the schema of its table, creating the table there when it is missing', async () => {
    const schema = `${table}_s`;
    await admin.query(`CREATE SCHEMA ${schema}; CREATE TABLE ${schema}.orders (order_id text PRIMARY KEY, customer text)`);
    try {
      const node = oneNode('postgres-sink', params({ table: `${schema}.orders`, columns: ['order_id', 'customer'] }), {}, { live: true });
      await node.graph.start();
      await node.run([{ order_id: 'o-1', customer: 'c-1' }]);
      await node.graph.close();
      const stored = await admin.query(`SELECT topic, partition, "offset"::int AS o FROM ${schema}.${OFFSETS_TABLE} WHERE group_id = $1 AND node = 'subject'`, [
        group,
      ]);
      expect(stored.rows).toEqual([{ topic: 'in', partition: 0, o: 0 }]);
    } finally {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });

  it('stops at start-up with what to change when the table, a column or the unique key is missing', async () => {
    const missing = oneNode('postgres-sink', params({ table: `${table}_missing` }), {}, { live: true });
    await expect(missing.graph.start()).rejects.toThrow(new RegExp(`table ${table}_missing does not exist.*CREATE TABLE`));
    await missing.graph.close();
    const column = oneNode('postgres-sink', params({ columns: ['order_id', 'customer', 'total'] }), {}, { live: true });
    await expect(column.graph.start()).rejects.toThrow(/has no column total; it has amount, customer, meta, order_id/);
    await column.graph.close();
    const key = oneNode('postgres-sink', params({ table: `${table}_nokey`, columns: ['order_id', 'customer'] }), {}, { live: true });
    await expect(key.graph.start()).rejects.toThrow(/no primary key or unique index on exactly \(order_id\).*ADD UNIQUE \(order_id\)/);
    await key.graph.close();
  });

  it('stops at start-up naming the variable when no connection string is set', async () => {
    const pghost = process.env.PGHOST;
    delete process.env.PGHOST;
    try {
      const unset = oneNode('postgres-sink', params({ urlEnv: 'PW_TEST_PG_URL_UNSET' }), {}, { live: true });
      await expect(unset.graph.start()).rejects.toThrow(
        'postgres node "subject": PW_TEST_PG_URL_UNSET is not set (nor PGHOST); set PW_TEST_PG_URL_UNSET to the connection string',
      );
      await unset.graph.close();
    } finally {
      if (pghost !== undefined) process.env.PGHOST = pghost;
    }
  });

  it('captures rows without touching a database when the graph is not live', async () => {
    const r = await oneNode('postgres-sink', params({ table: 'nowhere' })).run([{ order_id: 'o-9', customer: 'c', amount: 1, extra: 1 }]);
    expect(r.captured).toEqual([{ order_id: 'o-9', customer: 'c', amount: 1, meta: null }]);
  });

  it('quotes every identifier and validates them strictly', () => {
    expect(upsertSql('sales.orders', ['id', 'n'], ['id'], 2)).toBe(
      'INSERT INTO "sales"."orders" ("id", "n") VALUES ($1, $2), ($3, $4) ON CONFLICT ("id") DO UPDATE SET "n" = EXCLUDED."n"',
    );
    expect(upsertSql('t', ['id'], ['id'], 1)).toBe('INSERT INTO "t" ("id") VALUES ($1) ON CONFLICT ("id") DO NOTHING');
    const bad = postgresSink.validate(
      withDefaults(postgresSink, { table: 'orders; DROP TABLE x', columns: ['id', 'Name"'], key: ['other'], urlEnv: 'DATABASE_URL' }),
    );
    expect(bad.map((p) => p.param)).toEqual(['table', 'columns', 'key']);
    expect(postgresSink.validate(withDefaults(postgresSink, { table: 'sales.orders', columns: ['id', 'n'], key: ['id'], urlEnv: 'DATABASE_URL' }))).toEqual([]);
  });
});
