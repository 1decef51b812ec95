/** Prometheus text exposition, written by hand to keep the vendored runtime's dependencies short. */
import type { NodeStats } from '../engine/graph.js';

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
  readonly lag = new Map<string, number>();

  /**
   * Forgets the lag of partitions this replica no longer owns (after a rebalance, or when it leaves
   * the group): each partition's lag is reported by its owner only, so a sum over pods counts it once.
   */
  keepLag(assignment: Record<string, number[]>): void {
    const owned = new Set(Object.entries(assignment).flatMap(([topic, ps]) => ps.map((p) => `${topic}\u0000${p}`)));
    for (const at of this.lag.keys()) if (!owned.has(at)) this.lag.delete(at);
  }

  render(nodeStats: Map<string, NodeStats>, pipeline: string): string {
    const p = `pipeline="${escapeLabel(pipeline)}"`;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) lines.push(`${name}{${labels}} ${v}`);
    };
    const perNode = (pick: (s: NodeStats) => number): [string, number][] =>
      [...nodeStats].map(([node, s]) => [`${p},node="${escapeLabel(node)}"`, pick(s)]);
    metric('pipewright_consumed_total', 'counter', 'Messages consumed from source topics.', [[p, this.consumed]]);
    metric('pipewright_produced_total', 'counter', 'Messages produced and acknowledged, dead letters included.', [[p, this.produced]]);
    metric('pipewright_dead_letters_total', 'counter', 'Records sent to the dead-letter topic.', [[p, this.deadLetters]]);
    metric('pipewright_skipped_total', 'counter', 'Failed records dropped by the skip error policy.', [[p, this.skipped]]);
    metric('pipewright_node_in_total', 'counter', 'Records that entered a node.', perNode((s) => s.in));
    metric('pipewright_node_out_total', 'counter', 'Records a node passed on or produced.', perNode((s) => s.out));
    metric('pipewright_node_errors_total', 'counter', 'Records that failed in a node.', perNode((s) => s.errors));
    metric('pipewright_batches_total', 'counter', 'Batches processed.', [[p, this.batches]]);
    metric('pipewright_restored_records_total', 'counter', 'Changelog records applied to state while restoring owned partitions.', [[p, this.restoredRecords]]);
    metric('pipewright_restore_seconds_total', 'counter', 'Time spent restoring state from changelogs.', [[p, this.restoreSeconds]]);
    metric('pipewright_restoring_partitions', 'gauge', 'Changelog partitions being restored now.', [[p, this.restoring]]);
    metric('pipewright_standby_records_total', 'counter', 'Changelog records applied to standby copies of partitions other replicas own.', [[p, this.standbyRecords]]);
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
    return lines.join('\n') + '\n';
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
