/** Prometheus text exposition, written by hand to keep the vendored runtime's dependencies short. */
import type { BatchResult, NodeStats } from '../engine/graph.js';

/** Upper bounds of the buckets for a node's time on one slice of records (seconds). */
export const NODE_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Upper bounds of the buckets for a slice's processing, produce acknowledgements included (seconds). */
export const BATCH_SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;
/** Upper bounds of the buckets for a record's time from its Kafka timestamp to its outputs' acknowledgement (seconds). */
export const END_TO_END_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600] as const;

/** A Prometheus histogram: counts per bucket, their sum and count; rendered cumulatively. */
export class Histogram {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last one: above every bound (+Inf). */
  private readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    for (let i = 1; i < bounds.length; i++) if (!(bounds[i] > bounds[i - 1])) throw new Error('histogram bounds must increase');
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(v: number): void {
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }

  /** `<name>_bucket{labels,le="…"}` rows (cumulative, +Inf last), then `_sum` and `_count`. */
  rows(name: string, labels: string): string[] {
    const out: string[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += this.counts[i];
      const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
      out.push(`${name}_bucket{${labels},le="${le}"} ${cumulative}`);
    }
    out.push(`${name}_sum{${labels}} ${this.sum}`, `${name}_count{${labels}} ${this.count}`);
    return out;
  }
}

export class Metrics {
  batches = 0;
  batchSeconds = 0;
  consumed = 0;
  produced = 0;
  deadLetters = 0;
  skipped = 0;
  /** Changelog records applied to state while restoring partitions this replica owns. */
  restoredRecords = 0;
  restoreSeconds = 0;
  /** Changelog partitions being restored now. */
  restoring = 0;
  /** Changelog records applied to standby copies of partitions other replicas own. */
  standbyRecords = 0;
  /** Source partitions of other replicas whose state this replica keeps warm. */
  standbyPartitions = 0;
  readonly lag = new Map<string, number>();
  /** Time each node took on each slice it was given, by node id. */
  readonly nodeSeconds = new Map<string, Histogram>();
  readonly batchDuration = new Histogram(BATCH_SECONDS_BUCKETS);
  /** From each consumed record's Kafka timestamp to the acknowledgement of its slice's outputs, by input topic. */
  readonly endToEnd = new Map<string, Histogram>();

  /**
   * Forgets the lag of partitions this replica no longer owns (after a rebalance, or when it leaves
   * the group): each partition's lag is reported by its owner only, so a sum over pods counts it once.
   */
  keepLag(assignment: Record<string, number[]>): void {
    const owned = new Set(Object.entries(assignment).flatMap(([topic, ps]) => ps.map((p) => `${topic}\u0000${p}`)));
    for (const at of this.lag.keys()) if (!owned.has(at)) this.lag.delete(at);
  }

  /** A node spent `seconds` on one slice (the engine's onNodeTime). */
  observeNode(node: string, seconds: number): void {
    let h = this.nodeSeconds.get(node);
    if (!h) this.nodeSeconds.set(node, (h = new Histogram(NODE_SECONDS_BUCKETS)));
    h.observe(seconds);
  }

  /**
   * A slice of `topic` is done: its outputs are acknowledged (and its offsets resolved). `began` is
   * performance.now() when it started, `timestamps` the Kafka timestamps (ms) of its records.
   */
  sliceDone(
    topic: string,
    timestamps: readonly number[],
    result: Pick<BatchResult, 'messages' | 'deadLetters' | 'skipped'>,
    began: number,
    now = Date.now(),
  ): void {
    const seconds = (performance.now() - began) / 1000;
    this.batches++;
    this.consumed += timestamps.length;
    this.produced += result.messages.length;
    this.deadLetters += result.deadLetters;
    this.skipped += result.skipped;
    this.batchSeconds += seconds;
    this.batchDuration.observe(seconds);
    let h = this.endToEnd.get(topic);
    if (!h) this.endToEnd.set(topic, (h = new Histogram(END_TO_END_SECONDS_BUCKETS)));
    // A producer's clock ahead of ours would give a negative age: count it as none.
    for (const t of timestamps) if (Number.isFinite(t)) h.observe(Math.max(0, now - t) / 1000);
  }

  render(nodeStats: Map<string, NodeStats>, pipeline: string): string {
    const p = `pipeline="${escapeLabel(pipeline)}"`;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) lines.push(`${name}{${labels}} ${v}`);
    };
    const histogram = (name: string, help: string, rows: [string, Histogram][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
      for (const [labels, h] of rows) lines.push(...h.rows(name, labels));
    };
    const nodeLabels = (node: string) => `${p},node="${escapeLabel(node)}"`;
    const perNode = (pick: (s: NodeStats) => number): [string, number][] => [...nodeStats].map(([node, s]) => [nodeLabels(node), pick(s)]);
    metric('pipewright_consumed_total', 'counter', 'Messages consumed from source topics.', [[p, this.consumed]]);
    metric('pipewright_produced_total', 'counter', 'Messages produced and acknowledged, dead letters included.', [[p, this.produced]]);
    metric('pipewright_dead_letters_total', 'counter', 'Records sent to the dead-letter topic.', [[p, this.deadLetters]]);
    metric('pipewright_skipped_total', 'counter', 'Failed records dropped by the skip error policy.', [[p, this.skipped]]);
    metric(
      'pipewright_node_in_total',
      'counter',
      'Records that entered a node.',
      perNode((s) => s.in),
    );
    metric(
      'pipewright_node_out_total',
      'counter',
      'Records a node passed on or produced.',
      perNode((s) => s.out),
    );
    metric(
      'pipewright_node_errors_total',
      'counter',
      'Records that failed in a node.',
      perNode((s) => s.errors),
    );
    metric('pipewright_batches_total', 'counter', 'Batches processed.', [[p, this.batches]]);
    metric('pipewright_restored_records_total', 'counter', 'Changelog records applied to state while restoring owned partitions.', [[p, this.restoredRecords]]);
    metric('pipewright_restore_seconds_total', 'counter', 'Time spent restoring state from changelogs.', [[p, this.restoreSeconds]]);
    metric('pipewright_restoring_partitions', 'gauge', 'Changelog partitions being restored now.', [[p, this.restoring]]);
    metric('pipewright_standby_records_total', 'counter', 'Changelog records applied to standby copies of partitions other replicas own.', [
      [p, this.standbyRecords],
    ]);
    metric('pipewright_standby_partitions', 'gauge', 'Partitions of other replicas whose state this replica keeps warm.', [[p, this.standbyPartitions]]);
    metric('pipewright_batch_seconds_total', 'counter', 'Time spent processing batches, produce acknowledgements included.', [[p, this.batchSeconds]]);
    metric(
      'pipewright_partition_lag',
      'gauge',
      'Messages behind the high watermark at the last batch, per assigned partition.',
      [...this.lag].map(([tp, v]) => {
        const [topic, partition] = tp.split('\u0000');
        return [`${p},topic="${escapeLabel(topic)}",partition="${partition}"`, v];
      }),
    );
    // Every node has its series from the start, so dashboards and alerts find them before the first record.
    histogram(
      'pipewright_node_duration_seconds',
      'Time a node took on one slice of records (a source: decoding it).',
      [...nodeStats.keys()].map((node) => [nodeLabels(node), this.nodeSeconds.get(node) ?? EMPTY_NODE]),
    );
    histogram('pipewright_batch_duration_seconds', 'Time to process one slice of a batch, produce acknowledgements included.', [[p, this.batchDuration]]);
    histogram(
      'pipewright_end_to_end_latency_seconds',
      "From a consumed record's Kafka timestamp to the acknowledgement of its slice's outputs, by input topic.",
      [...this.endToEnd].map(([topic, h]) => [`${p},topic="${escapeLabel(topic)}"`, h]),
    );
    return lines.join('\n') + '\n';
  }
}

const EMPTY_NODE = new Histogram(NODE_SECONDS_BUCKETS);

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
