import type { Rec } from '../types.js';
import { backoff, env, loadPackage, sleep } from './host.js';
import { defineKind, type KindProblem } from './spec.js';
import { ENV_NAME } from './http-sink.js';
import { errorText } from '../errors.js';

/** The pg version a generated service pins when it writes to PostgreSQL. */
export const PG_VERSION = '8.23.1';

/** Lowercase SQL identifiers only: they are quoted too, but never need to be. */
export const SQL_IDENT = /^[a-z_][a-z0-9_]{0,62}$/;
const TABLE = /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/;
/** PostgreSQL takes at most 65535 parameters per statement. */
const MAX_PARAMS = 65535;

interface PgResult {
  rows: Record<string, unknown>[];
  rowCount: number | null;
}
interface PgClient {
  query(text: string, values?: unknown[]): Promise<PgResult>;
  release(err?: boolean | Error): void;
  on(event: 'error', listener: (e: Error) => void): unknown;
  off(event: 'error', listener: (e: Error) => void): unknown;
}
interface PgPool {
  query(text: string, values?: unknown[]): Promise<PgResult>;
  connect(): Promise<PgClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (e: Error) => void): unknown;
}
interface PgModule {
  Pool: new (config: Record<string, unknown>) => PgPool;
}

export const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const quoteTable = (table: string): string => table.split('.').map(quoteIdent).join('.');

/** The table in which each postgres sink records, per input partition, the highest offset whose rows it has written. */
export const OFFSETS_TABLE = 'pipewright_sink_offsets';

/** The offsets table of the sinks writing into `schema` (the connection's current schema when undefined), quoted. */
export const offsetsTable = (schema?: string): string => (schema ? `${quoteIdent(schema)}.` : '') + quoteIdent(OFFSETS_TABLE);

/**
 * Creates the offsets table if it is missing: one row per consumer group, sink node and input
 * partition, holding the highest input offset whose rows are written (in the same transaction).
 */
export function offsetsTableSql(schema?: string): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${offsetsTable(schema)} (\n` +
    '  "group_id" text NOT NULL,\n  "node" text NOT NULL,\n  "topic" text NOT NULL,\n  "partition" integer NOT NULL,\n' +
    '  "offset" bigint NOT NULL,\n  "updated_at" timestamptz NOT NULL DEFAULT now(),\n' +
    '  PRIMARY KEY ("group_id", "node", "topic", "partition")\n);'
  );
}

/** The one statement that upserts `rows` rows: INSERT … ON CONFLICT (key) DO UPDATE SET every other column. */
export function upsertSql(table: string, columns: readonly string[], key: readonly string[], rows: number): string {
  const values: string[] = [];
  for (let r = 0; r < rows; r++) values.push(`(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`);
  const rest = columns.filter((c) => !key.includes(c));
  const action = rest.length ? `DO UPDATE SET ${rest.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
  return `INSERT INTO ${quoteTable(table)} (${columns.map(quoteIdent).join(', ')}) VALUES ${values.join(', ')} ON CONFLICT (${key.map(quoteIdent).join(', ')}) ${action}`;
}

/** An event as a row: one value per column, objects as JSON text, missing fields as NULL. */
export function toRow(value: unknown, columns: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the event is not an object, so it has no columns');
  const v = value as Record<string, unknown>;
  const row: Record<string, unknown> = {};
  for (const c of columns) {
    const x = v[c];
    row[c] = x === undefined ? null : typeof x === 'object' && x !== null ? JSON.stringify(x) : x;
  }
  return row;
}

/** A mismatch between the node and the table, with the SQLSTATE PostgreSQL itself would give, so it is never retried. */
function mismatch(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Data errors (class 22) and constraint violations (class 23) belong to a row; anything else to the database. */
export function rowError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Checks that the table exists with every column and a unique index or
 * primary key on exactly the key columns (ON CONFLICT needs one); throws a
 * message that says what to change otherwise.
 */
export async function checkTable(pool: PgPool, table: string, columns: readonly string[], key: readonly string[]): Promise<void> {
  const [schema, name] = table.includes('.') ? table.split('.') : [undefined, table];
  const found = await pool.query('SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2', [
    schema ?? null,
    name,
  ]);
  if (found.rows.length === 0) {
    throw mismatch(
      '42P01',
      `table ${table} does not exist in the database the service connects to (or it cannot see it). ` +
        `Create it, e.g. CREATE TABLE ${table} (${columns.map((c) => `${c} ${key.includes(c) ? 'text' : 'jsonb'}`).join(', ')}, PRIMARY KEY (${key.join(', ')}))`,
    );
  }
  const have = new Set(found.rows.map((r) => String(r.column_name)));
  const missing = columns.filter((c) => !have.has(c));
  if (missing.length) {
    throw mismatch(
      '42703',
      `table ${table} has no column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; it has ${[...have].sort().join(', ')}. Add the column${missing.length > 1 ? 's' : ''} or change the node's columns`,
    );
  }
  const indexes = await pool.query(
    `SELECT array_agg(a.attname::text) AS cols FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
     WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL GROUP BY i.indexrelid`,
    [quoteTable(table)],
  );
  const wanted = [...key].sort().join(',');
  const unique = indexes.rows.map((r) => (r.cols as string[]).slice().sort().join(','));
  if (!unique.includes(wanted)) {
    throw mismatch(
      '42P10',
      `table ${table} has no primary key or unique index on exactly (${key.join(', ')}), which an upsert needs` +
        `${unique.length ? `; its unique keys are ${unique.map((u) => `(${u})`).join(', ')}` : ''}. ` +
        `Add one, e.g. ALTER TABLE ${table} ADD UNIQUE (${key.join(', ')}), or change the node's key`,
    );
  }
}

export const postgresSink = defineKind({
  kind: 'postgres-sink',
  category: 'sink',
  title: 'PostgreSQL upsert',
  summary: 'Upsert events into a PostgreSQL table on a key, one statement per batch.',
  docs:
    "Writes each event as a row of `table`: each of `columns` takes the event's field of the same name (missing " +
    'fields are NULL, objects and arrays JSON text); put a map before the sink to rename or compute fields. ' +
    'Every batch is one `INSERT … ON CONFLICT (key) DO UPDATE` statement (within a batch the last event per key ' +
    'wins), in one transaction with the highest input offset per partition it wrote, kept in the table ' +
    'pipewright_sink_offsets of the same schema: a batch consumed again after a crash or an aborted transaction ' +
    'skips the records at or below it, so no upsert is made twice. At start-up the service checks that the ' +
    'table exists with those columns and a primary key or unique index on exactly `key`, and stops with a ' +
    'message that says what to change if not. The connection string comes from the environment variable named ' +
    'by `urlEnv` (set from a Secret), or else from the standard PGHOST, PGPORT, PGDATABASE, PGUSER and ' +
    'PGPASSWORD variables. Connection failures are retried with backoff, then the batch fails and is ' +
    'consumed again; a row the database rejects (a constraint, a bad value) goes to the error port alone. ' +
    'In the simulator and in tests rows are collected instead. Uses pg, which the generated package.json ' +
    'lists when a pipeline writes to PostgreSQL.',
  params: [
    {
      name: 'table',
      type: 'string',
      title: 'Table',
      description: 'The table, optionally with its schema: orders or sales.orders (lowercase).',
      required: true,
      placeholder: 'orders',
    },
    {
      name: 'columns',
      type: 'list',
      title: 'Columns',
      description: 'The columns to write; each takes the event field of the same name.',
      required: true,
      placeholder: 'order_id, customer, amount',
    },
    {
      name: 'key',
      type: 'list',
      title: 'Key',
      description: 'The columns of the primary key or unique index to upsert on.',
      required: true,
      placeholder: 'order_id',
    },
    {
      name: 'urlEnv',
      type: 'string',
      title: 'Connection string from env',
      description: 'Environment variable holding the connection string; when unset, the PG* variables are used.',
      default: 'DATABASE_URL',
    },
    {
      name: 'retries',
      type: 'integer',
      title: 'Retries',
      description: 'Attempts after the first when the database cannot be reached.',
      default: 5,
      min: 0,
      max: 20,
    },
    {
      name: 'backoffMs',
      type: 'integer',
      title: 'Backoff (ms)',
      description: 'Wait before the first retry; doubles each time, with jitter.',
      default: 200,
      min: 10,
      max: 10000,
    },
    { name: 'poolSize', type: 'integer', title: 'Connections', description: 'Most connections the service opens.', default: 4, min: 1, max: 50 },
  ],
  inputs: ['in'],
  outputs: [],
  outputType: { from: 'none' },
  example: {
    params: { table: 'orders', columns: ['order_id', 'customer', 'amount'], key: ['order_id'] },
    input: { order_id: 'o-1', customer: 'c-1', amount: 12.5, note: 'not a column' },
    output: { order_id: 'o-1', customer: 'c-1', amount: 12.5 },
  },
  dependencies: () => ({ pg: PG_VERSION }),
  secrets: (params) => [
    {
      name: params.urlEnv,
      example: 'postgres://user:change-me@postgres:5432/app',
      description: 'PostgreSQL connection string of the postgres sink (or set PGHOST, PGUSER, PGPASSWORD, PGDATABASE instead).',
    },
  ],
  validate(params) {
    const problems: KindProblem[] = [];
    const { table, columns, key } = params;
    if (!TABLE.test(table)) {
      problems.push({
        param: 'table',
        code: 'PW130',
        message: `"${table}" is not a table name Pipewright accepts.`,
        hint: 'Use lowercase letters, digits and "_", starting with a letter or "_", optionally schema.table, e.g. sales.orders.',
      });
    }
    for (const [param, names] of [
      ['columns', columns],
      ['key', key],
    ] as const) {
      for (const c of names) {
        if (!SQL_IDENT.test(c))
          problems.push({
            param,
            code: 'PW131',
            message: `"${c}" is not a column name Pipewright accepts.`,
            hint: 'Use lowercase letters, digits and "_", e.g. order_id.',
          });
      }
      if (new Set(names).size !== names.length)
        problems.push({ param, code: 'PW132', message: `${param} names a column twice.`, hint: 'List each column once.' });
    }
    const notWritten = key.filter((k) => !columns.includes(k));
    if (notWritten.length)
      problems.push({
        param: 'key',
        code: 'PW133',
        message: `The key column${notWritten.length > 1 ? 's' : ''} ${notWritten.join(', ')} must be among the columns written.`,
        hint: `Add ${notWritten.join(', ')} to columns.`,
      });
    if (!ENV_NAME.test(params.urlEnv))
      problems.push({
        param: 'urlEnv',
        code: 'PW126',
        message: `"${params.urlEnv}" is not an environment variable name.`,
        hint: 'Use capitals, digits and "_", e.g. DATABASE_URL.',
      });
    return problems;
  },
  create({ params, nodeId, pipeline, capture }) {
    const { table, columns, key, retries, backoffMs, urlEnv, poolSize } = params;
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    const schema = table.includes('.') ? table.split('.')[0] : undefined;
    const target: PgTarget = { nodeId, pipeline, table, columns, key, perStatement, offsets: offsetsTable(schema) };
    let pool: PgPool | undefined;
    let ready: Promise<PgPool> | undefined;

    const connect = async (): Promise<PgPool> => {
      const pg = await loadPackage<PgModule>('pg', `postgres node "${nodeId}"`);
      const url = env(urlEnv);
      if (!url && !env('PGHOST'))
        throw new Error(
          `postgres node "${nodeId}": ${urlEnv} is not set (nor PGHOST); set ${urlEnv} to the connection string, e.g. postgres://user:password@host:5432/db, from the Secret`,
        );
      const p = new pg.Pool({ ...(url ? { connectionString: url } : {}), max: poolSize, application_name: nodeId });
      // An idle connection that breaks must not crash the service; the next query reconnects.
      p.on('error', () => {});
      pool = p;
      try {
        await withRetries(() => checkTable(p, table, columns, key), retries, backoffMs);
        await withRetries(() => createOffsetsTable(p, schema), retries, backoffMs);
      } catch (e) {
        throw new Error(`postgres node "${nodeId}": ${errorText(e)}`, { cause: e });
      }
      return p;
    };
    const started = () =>
      (ready ??= connect().catch((e) => {
        ready = undefined;
        throw e;
      }));

    return {
      async start() {
        if (!capture) await started();
      },
      async process(batch, _port, out, clock) {
        const rows: Row[] = [];
        for (const rec of batch) {
          try {
            rows.push({ rec, row: toRow(rec.value, columns) });
          } catch (e) {
            out.fail(rec, e);
          }
        }
        if (capture) {
          for (const { rec, row } of rows) capture({ key: rec.key, value: row });
          return;
        }
        if (rows.length === 0) return;
        const db = await started();
        const failed: Failure[] = [];
        try {
          await withRetries(() => writeRows(target, db, rows, clock === true, failed), retries, backoffMs);
        } catch (e) {
          throw new Error(`postgres node "${nodeId}": ${errorText(e)}`, { cause: e });
        }
        // Only after the commit: a transaction that is tried again must not send a row to the error port twice.
        for (const f of failed) out.fail(f.rec, f.error);
      },
      async close() {
        await pool?.end().catch(() => {});
        pool = undefined;
        ready = undefined;
      },
    };
  },
});

/** A row to write, with the record it came from. */
type Row = { rec: Rec; row: Record<string, unknown> };
/** A row the database rejected. */
type Failure = { rec: Rec; error: Error };

/** Where a postgres node writes: its table and columns, the key to upsert on, and its offsets table. */
interface PgTarget {
  nodeId: string;
  pipeline: string;
  table: string;
  columns: readonly string[];
  key: readonly string[];
  /** Rows per INSERT, within PostgreSQL's limit of parameters. */
  perStatement: number;
  offsets: string;
}

/**
 * Upserts `rows` inside the open transaction, behind a savepoint; with `dry` it rolls them back
 * again and only learns which rows the database rejects (the rows of a replayed slice, whose
 * rejections must reach the error port again). A rejected row is rolled back alone.
 */
async function upsert({ table, columns, key, perStatement }: PgTarget, client: PgClient, rows: Row[], dry: boolean, failed: Failure[]): Promise<void> {
  // ON CONFLICT cannot touch a row twice in one statement: the last event per key wins, as it would in order.
  const latest = new Map<string, Record<string, unknown>>();
  for (const { row } of rows) {
    const k = JSON.stringify(key.map((c) => row[c]));
    latest.delete(k);
    latest.set(k, row);
  }
  const unique = [...latest.values()];
  await client.query('SAVEPOINT pipewright_batch');
  try {
    for (let i = 0; i < unique.length; i += perStatement) {
      const chunk = unique.slice(i, i + perStatement);
      await client.query(
        upsertSql(table, columns, key, chunk.length),
        chunk.flatMap((r) => columns.map((c) => r[c])),
      );
    }
    await client.query(dry ? 'ROLLBACK TO SAVEPOINT pipewright_batch' : 'RELEASE SAVEPOINT pipewright_batch');
  } catch (e) {
    if (!rowError(e)) throw e;
    await client.query('ROLLBACK TO SAVEPOINT pipewright_batch');
    // Some row is bad: write them one by one, in order, so only the bad ones go to the error port.
    for (const { rec, row } of rows) {
      await client.query('SAVEPOINT pipewright_row');
      try {
        await client.query(
          upsertSql(table, columns, key, 1),
          columns.map((c) => row[c]),
        );
        await client.query(dry ? 'ROLLBACK TO SAVEPOINT pipewright_row' : 'RELEASE SAVEPOINT pipewright_row');
      } catch (rowErr) {
        if (!rowError(rowErr)) throw rowErr;
        await client.query('ROLLBACK TO SAVEPOINT pipewright_row');
        failed.push({ rec, error: new Error(`PostgreSQL rejected the row: ${errorText(rowErr)}`) });
      }
    }
  }
}

/**
 * One transaction: lock this node's offsets of the batch's input partitions, write the rows
 * past them, dry-run the rows at or below them (already written by a slice that was then
 * consumed again), and move the offsets up. A record without a numeric input offset, and
 * what a node emits on its clock (`clock`), is written as it comes, without offsets.
 */
async function writeRows(target: PgTarget, db: PgPool, rows: Row[], clock: boolean, failed: Failure[]): Promise<void> {
  const { nodeId, pipeline, offsets } = target;
  failed.length = 0;
  const high = new Map<string, { topic: string; partition: number; offset: bigint }>();
  const at = (rec: Rec): string | undefined =>
    !clock && rec.origin && /^\d+$/.test(String(rec.origin.offset)) ? `${rec.origin.topic}\u0000${rec.origin.partition}` : undefined;
  for (const { rec } of rows) {
    const k = at(rec);
    if (k === undefined) continue;
    const o = BigInt(rec.origin.offset);
    const h = high.get(k);
    if (!h || o > h.offset) high.set(k, { topic: rec.origin.topic, partition: rec.origin.partition, offset: o });
  }
  const parts = [...high.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const group = env('KAFKA_GROUP_ID') || pipeline;
  const client = await db.connect();
  let broken: Error | undefined;
  // A connection that breaks while checked out (terminated by the server, say) must not crash the
  // service: the failing query rejects, the transaction is tried again, and the client is discarded.
  const onError = (e: Error) => {
    broken = e;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    let fresh = rows;
    const replayed: Row[] = [];
    if (parts.length) {
      const ids = [group, nodeId, parts.map((x) => x.topic), parts.map((x) => x.partition)];
      // The rows exist before they are locked, so a second replica writing the same partition waits here and then sees the offsets this one wrote.
      await client.query(
        `INSERT INTO ${offsets} ("group_id", "node", "topic", "partition", "offset") SELECT $1, $2, t, p, -1 FROM unnest($3::text[], $4::int[]) AS x(t, p) ON CONFLICT DO NOTHING`,
        ids,
      );
      const stored = await client.query(
        `SELECT "topic", "partition", "offset"::text AS "offset" FROM ${offsets} WHERE "group_id" = $1 AND "node" = $2 AND ("topic", "partition") IN (SELECT * FROM unnest($3::text[], $4::int[])) ORDER BY "topic", "partition" FOR UPDATE`,
        ids,
      );
      const done = new Map(stored.rows.map((r) => [`${String(r.topic)}\u0000${Number(r.partition)}`, BigInt(String(r.offset))]));
      fresh = [];
      for (const r of rows) {
        const k = at(r.rec);
        const d = k === undefined ? undefined : done.get(k);
        if (d !== undefined && BigInt(r.rec.origin.offset) <= d) replayed.push(r);
        else fresh.push(r);
      }
    }
    if (replayed.length) await upsert(target, client, replayed, true, failed);
    if (fresh.length) await upsert(target, client, fresh, false, failed);
    if (parts.length) {
      await client.query(
        `UPDATE ${offsets} AS o SET "offset" = GREATEST(o."offset", x.n), "updated_at" = now() FROM unnest($3::text[], $4::int[], $5::bigint[]) AS x(t, p, n) ` +
          'WHERE o."group_id" = $1 AND o."node" = $2 AND o."topic" = x.t AND o."partition" = x.p',
        [group, nodeId, parts.map((x) => x.topic), parts.map((x) => x.partition), parts.map((x) => x.offset.toString())],
      );
    }
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch((r: unknown) => {
      broken = r instanceof Error ? r : new Error(String(r));
    });
    throw e;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Creates the offsets table of `schema` if missing; two replicas creating it at once is no error. */
async function createOffsetsTable(pool: PgPool, schema: string | undefined): Promise<void> {
  // Looked up first: creating it, even IF NOT EXISTS, needs CREATE on the schema, which a service's user often lacks.
  const found = await pool.query('SELECT to_regclass($1) IS NOT NULL AS found', [offsetsTable(schema)]);
  if (found.rows[0]?.found === true) return;
  try {
    await pool.query(offsetsTableSql(schema));
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === '23505' || code === '42P07') return;
    const msg = errorText(e);
    throw Object.assign(
      new Error(
        `cannot create the offsets table ${schema ? `${schema}.` : ''}${OFFSETS_TABLE} (${msg}); create it as db/schema.sql does, or grant the service's user CREATE on the schema`,
      ),
      { code },
    );
  }
}

/** Retries what fails for reasons outside the rows (connection lost, deadlock, shutdown); row errors at once. */
async function withRetries<T>(fn: () => Promise<T>, retries: number, backoffMs: number): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await fn();
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      const structural = typeof code === 'string' && /^(42|22|23|28|3D)/.test(code);
      if (rowError(e) || structural || n > retries) throw e;
      await sleep(backoff(backoffMs, n));
    }
  }
}
