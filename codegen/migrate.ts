/**
 * Format versions of pipeline.yaml. A file says which format it is written
 * in (`version:`; a file without one is version 1, the first format). Every
 * reader of pipeline YAML — the CLI, and the designer opening a file, its
 * autosave or a share link — runs it through migratePipeline before reading
 * it, so a pipeline written by an older Pipewright opens in a newer one:
 * MIGRATIONS[n] rewrites a version-n document into version n + 1, and they
 * are applied in turn up to PIPELINE_FORMAT_VERSION. A file from a newer
 * Pipewright is refused with a problem that says so, rather than read wrong.
 *
 * When the format changes: raise PIPELINE_FORMAT_VERSION (codegen/pipeline.ts),
 * add the migration from the previous version here (a renamed kind also goes
 * in RENAMED_KINDS), and write what the serializer writes in the new format.
 * Problems in a migrated file are placed by their path in the migrated
 * document.
 */
import { problem, type Problem } from './errors.js';
import { PIPELINE_FORMAT_VERSION } from './pipeline.js';
import { valueText } from '../runtime/types.js';

export type PipelineDocument = Record<string, unknown>;
/** Rewrites a document of one format version into the next; must not throw on odd input, and must not mutate its argument. */
export type Migration = (doc: PipelineDocument) => PipelineDocument;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Version 1 → 2 renames three sinks' kinds, old name → new. */
const SINK_KINDS_V2: Readonly<Record<string, string>> = { http: 'http-sink', postgres: 'postgres-sink', log: 'log-sink' };

/**
 * Version 1 → 2: the sinks outside Kafka are named as `kafka-sink` and as their files
 * (runtime/kinds/<kind>.ts): `http` is `http-sink`, `postgres` is `postgres-sink`, `log` is
 * `log-sink`. Only a node whose `kind` is exactly one of the old names changes; anything else, odd
 * input included, is left for the shape checks to report.
 */
function sinkKinds(doc: PipelineDocument): PipelineDocument {
  const nodes = doc.nodes;
  const renamed = (n: unknown): n is Record<string, unknown> & { kind: string } =>
    isObject(n) && typeof n.kind === 'string' && Object.hasOwn(SINK_KINDS_V2, n.kind);
  if (!Array.isArray(nodes) || !nodes.some(renamed)) return doc;
  return { ...doc, nodes: nodes.map((n: unknown) => (renamed(n) ? { ...n, kind: SINK_KINDS_V2[n.kind] } : n)) };
}

/** Kinds renamed by a migration, old name → new: an old name in a current file gets the new one suggested (PW013). */
export const RENAMED_KINDS: ReadonlyMap<string, string> = new Map(Object.entries(SINK_KINDS_V2));

/** MIGRATIONS[n]: version n → n + 1. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  1: sinkKinds,
};

export type Migrated = { doc: PipelineDocument; from: number } | { problem: Problem };

export function migratePipeline(
  doc: PipelineDocument,
  current: number = PIPELINE_FORMAT_VERSION,
  migrations: Readonly<Record<number, Migration>> = MIGRATIONS,
): Migrated {
  const version = doc.version ?? 1;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    const actual = typeof version === 'string' ? `the text "${version.slice(0, 30)}"` : valueText(version);
    return {
      problem: problem(
        'PW004',
        { field: 'version', expected: `a format version (1 to ${current})`, actual, fix: `Write version: ${current}, or remove the field.` },
        ['version'],
      ),
    };
  }
  if (version > current) return { problem: problem('PW006', { version, current }, ['version']) };
  let out = doc;
  for (let v = version; v < current; v++) {
    const step = migrations[v];
    if (!step) return { problem: problem('PW007', { version, current }, ['version']) };
    out = step(out);
  }
  return { doc: version === current ? doc : { ...out, version: current }, from: version };
}
