/**
 * What deploy.monitoring generates besides its templates: the PrometheusRule's alerts and the
 * Grafana dashboard, as data made from the pipeline. Every query names the series by
 * `job="<pipeline>"` (the PodMonitor's jobLabel takes the job from the pods' app.kubernetes.io/name
 * label), so the service's own metrics and the standard process metrics are found alike, and a
 * second scrape of the same pods (prometheus.io annotations) is never counted twice. Pure, like
 * the rest of the generator.
 */
import { getKind } from '../runtime/kinds/registry.js';
import { promqlString } from './escape.js';
import { monitoringOf, type Pipeline } from './pipeline.js';
import { shortHash } from './names.js';
import type { TemplateView } from './templates.js';

/** Metrics the rules read that come from elsewhere than the service: Prometheus itself and kube-state-metrics. */
export const EXTERNAL_METRICS = ['up', 'kube_pod_container_status_restarts_total'] as const;

export interface AlertRule {
  alert: string;
  expr: string;
  /** How long the condition holds before the alert fires (0m: at once). */
  for: string;
  severity: 'warning' | 'critical';
  summary: string;
  description: string;
}

/** The lag (messages, summed over a topic's partitions) above which growing lag alerts. */
export function lagAlertThreshold(p: Pipeline): number {
  return p.deploy.autoscaling === 'none' ? 1000 : (p.deploy.autoscaling?.lagThreshold ?? 1000);
}

const job = (p: Pipeline) => `job=${promqlString(p.name)}`;

export function alertRules(p: Pipeline): AlertRule[] {
  const sel = job(p);
  const lag = `sum by (namespace, topic) (pipewright_partition_lag{${sel}})`;
  const threshold = lagAlertThreshold(p);
  const rules: AlertRule[] = [
    {
      alert: 'PipewrightConsumerLagGrowing',
      expr: `${lag} > ${threshold} and deriv(${lag}[15m:1m]) > 0`,
      for: '15m',
      severity: 'warning',
      summary: `${p.name}: consumer lag keeps growing`,
      description: `The lag of ${p.name} on topic {{ $labels.topic }} in {{ $labels.namespace }} is {{ $value }} messages and has grown for 15 minutes: the replicas do not keep up. Check the latency panels of the dashboard, the replica count and the partitions.`,
    },
    {
      alert: 'PipewrightConsumerStalled',
      expr: `${lag} > 0 and on (namespace) sum by (namespace) (rate(pipewright_consumed_total{${sel}}[10m])) == 0`,
      for: '10m',
      severity: 'critical',
      summary: `${p.name}: nothing consumed while messages wait`,
      description: `${p.name} in {{ $labels.namespace }} has consumed nothing for 10 minutes while topic {{ $labels.topic }} has messages waiting (the lag gauge keeps its last value while no batch finishes). Check the pods' logs and the endpoints the sinks call.`,
    },
  ];
  if (p.errors.policy === 'dead-letter') {
    rules.push({
      alert: 'PipewrightDeadLetters',
      expr: `sum by (namespace) (increase(pipewright_dead_letters_total{${sel}}[5m])) > 0`,
      for: '0m',
      severity: 'warning',
      summary: `${p.name}: records are going to the dead-letter topic`,
      description: `${p.name} in {{ $labels.namespace }} sent {{ $value }} records to its dead-letter topic in 5 minutes. Their headers name the error, the node and the source record.`,
    });
  } else if (p.errors.policy === 'skip') {
    rules.push({
      alert: 'PipewrightRecordsSkipped',
      expr: `sum by (namespace) (increase(pipewright_skipped_total{${sel}}[5m])) > 0`,
      for: '0m',
      severity: 'warning',
      summary: `${p.name}: failed records are being dropped`,
      description: `${p.name} in {{ $labels.namespace }} dropped {{ $value }} failed records in 5 minutes (errors.policy: skip). The service's log names the error and the node.`,
    });
  }
  rules.push({
    alert: 'PipewrightPodRestarts',
    // kube-state-metrics counts restarts; `up` of this job names the pods that are this pipeline's.
    expr: `increase(kube_pod_container_status_restarts_total{container="service"}[15m]) > 0 and on (namespace, pod) up{${sel}}`,
    for: '0m',
    severity: 'warning',
    summary: `${p.name}: a pod restarted`,
    description: `Pod {{ $labels.pod }} of ${p.name} in {{ $labels.namespace }} restarted {{ $value }} times in 15 minutes: a failed liveness probe (a stuck consumer), a crash or the memory limit. See kubectl describe pod and the previous container's log.`,
  });
  return rules;
}

/** A Grafana dashboard uid: at most 40 characters, the same for the same pipeline. */
export function dashboardUid(name: string): string {
  const uid = `pipewright-${name}`;
  return uid.length <= 40 ? uid : `pipewright-${name.slice(0, 20).replace(/-+$/, '')}-${shortHash(name)}`;
}

interface Target {
  expr: string;
  legendFormat: string;
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Lays panels out on Grafana's grid: a row's title across, then two panels side by side per line. */
class PanelGrid {
  readonly panels: Record<string, unknown>[] = [];
  private id = 0;
  private y = 0;
  private x = 0;

  row(title: string): void {
    this.panels.push({ id: ++this.id, type: 'row', title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y: this.y }, panels: [] });
    this.y += 1;
  }

  panel(title: string, unit: string, targets: Target[], description: string): void {
    this.panels.push({
      id: ++this.id,
      type: 'timeseries',
      title,
      description,
      datasource: DATASOURCE,
      gridPos: { h: 8, w: 12, x: this.x, y: this.y },
      fieldConfig: { defaults: { unit, min: 0 }, overrides: [] },
      options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
      targets: targets.map((t, i) => ({ datasource: DATASOURCE, expr: t.expr, legendFormat: t.legendFormat, refId: String.fromCharCode(65 + i) })),
    });
    if (this.x === 0) this.x = 12;
    else {
      this.x = 0;
      this.y += 8;
    }
  }

  endRow(): void {
    if (this.x !== 0) this.y += 8;
    this.x = 0;
  }
}

/** PromQL over the pipeline's series in the dashboard's namespace: the selector, rates, and p50/p95/p99 of a histogram. */
interface PromQL {
  sel: string;
  rate: (metric: string, extra?: string) => string;
  quantiles: (metric: string, extra: string, by: string[], legend: string) => Target[];
}

/** The PromQL helpers of pipeline `p`. */
function promql(p: Pipeline): PromQL {
  const sel = `${job(p)},namespace="$namespace"`;
  const rate = (metric: string, extra = '') => `rate(${metric}{${sel}${extra}}[$__rate_interval])`;
  const quantiles = (metric: string, extra: string, by: string[], legend: string): Target[] =>
    [0.5, 0.95, 0.99].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (${['le', ...by].join(', ')}) (${rate(`${metric}_bucket`, extra)}))`,
      legendFormat: `p${Math.round(q * 100)}${legend}`,
    }));
  return { sel, rate, quantiles };
}

/** The overview row: records, failures, lag, latency, slices, restores. */
function overviewPanels(grid: PanelGrid, { sel, rate, quantiles }: PromQL, p: Pipeline): void {
  grid.row('Overview');
  grid.panel(
    'Records per second',
    'rps',
    [
      { expr: `sum(${rate('pipewright_consumed_total')})`, legendFormat: 'consumed' },
      { expr: `sum(${rate('pipewright_produced_total')})`, legendFormat: 'produced' },
    ],
    'Consumed from the source topics; produced and acknowledged, dead letters included.',
  );
  grid.panel(
    'Dead letters and skipped records per second',
    'rps',
    [
      { expr: `sum(${rate('pipewright_dead_letters_total')})`, legendFormat: 'dead letters' },
      { expr: `sum(${rate('pipewright_skipped_total')})`, legendFormat: 'skipped' },
    ],
    `Failed records: to the dead-letter topic, or dropped (errors.policy is ${p.errors.policy}).`,
  );
  grid.panel(
    'Consumer lag per partition',
    'short',
    [{ expr: `sum by (topic, partition) (pipewright_partition_lag{${sel}})`, legendFormat: '{{topic}} [{{partition}}]' }],
    "Messages behind the high watermark at each partition's last batch, reported by the replica that owns it.",
  );
  grid.panel(
    'End-to-end latency',
    's',
    quantiles('pipewright_end_to_end_latency_seconds', '', ['topic'], ' {{topic}}'),
    "From a record's Kafka timestamp to the acknowledgement of the outputs of its slice, by input topic. Producers that set event times as timestamps make this the event-time delay.",
  );
  grid.panel(
    'Slice duration',
    's',
    quantiles('pipewright_batch_duration_seconds', '', [], ''),
    'Processing one slice of a batch, produce acknowledgements included.',
  );
  grid.panel(
    'State restore',
    'short',
    [
      { expr: `sum(pipewright_restoring_partitions{${sel}})`, legendFormat: 'partitions restoring' },
      { expr: `sum(${rate('pipewright_restored_records_total')})`, legendFormat: 'records restored per second' },
    ],
    'Changelog partitions being restored and the records applied per second (stateful nodes only).',
  );
  grid.endRow();
}

/** The process row: CPU, memory, event loop, garbage collection. */
function processPanels(grid: PanelGrid, { sel, rate }: PromQL): void {
  grid.row('Process');
  grid.panel(
    'CPU per pod',
    'percentunit',
    [{ expr: `sum by (pod) (${rate('process_cpu_seconds_total')})`, legendFormat: '{{pod}}' }],
    'CPU seconds per second.',
  );
  grid.panel(
    'Memory per pod',
    'bytes',
    [
      { expr: `sum by (pod) (process_resident_memory_bytes{${sel}})`, legendFormat: 'resident {{pod}}' },
      { expr: `sum by (pod) (nodejs_heap_size_used_bytes{${sel}})`, legendFormat: 'heap used {{pod}}' },
    ],
    'Resident memory (the limit applies to it) and the JavaScript heap in use.',
  );
  grid.panel(
    'Event-loop delay per pod',
    's',
    [{ expr: `max by (pod) (nodejs_eventloop_lag_p99_seconds{${sel}})`, legendFormat: 'p99 {{pod}}' }],
    '99th percentile of the event-loop delay between scrapes.',
  );
  grid.panel(
    'Garbage collection',
    'percentunit',
    [{ expr: `sum by (pod, kind) (${rate('nodejs_gc_duration_seconds_sum')})`, legendFormat: '{{kind}} {{pod}}' }],
    'Share of time spent in garbage collection, by kind.',
  );
  grid.endRow();
}

/** The row of node `n`: its records and its time per slice. */
function nodePanels(grid: PanelGrid, { rate, quantiles }: PromQL, n: Pipeline['nodes'][number]): void {
  const node = `,node=${promqlString(n.id)}`;
  grid.row(`Node ${n.id} (${getKind(n.kind)?.kind ?? n.kind})`);
  grid.panel(
    `${n.id}: records per second`,
    'rps',
    [
      { expr: `sum(${rate('pipewright_node_in_total', node)})`, legendFormat: 'in' },
      { expr: `sum(${rate('pipewright_node_out_total', node)})`, legendFormat: 'out' },
      { expr: `sum(${rate('pipewright_node_errors_total', node)})`, legendFormat: 'errors' },
    ],
    'Records that entered the node, that it passed on or produced, and that failed in it.',
  );
  grid.panel(
    `${n.id}: time per slice`,
    's',
    quantiles('pipewright_node_duration_seconds', node, [], ''),
    'Time the node took on one slice of records (a source: decoding it).',
  );
  grid.endRow();
}

/** The Grafana dashboard of the pipeline: an overview, the process, then one row per node. */
export function dashboard(p: Pipeline): Record<string, unknown> {
  const q = promql(p);
  const grid = new PanelGrid();
  overviewPanels(grid, q, p);
  processPanels(grid, q);
  for (const n of p.nodes) nodePanels(grid, q, n);

  return {
    uid: dashboardUid(p.name),
    title: `Pipewright: ${p.name}`,
    description: p.description ?? `The ${p.name} pipeline, generated by Pipewright.`,
    tags: ['pipewright', 'kafka'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0 },
        {
          name: 'namespace',
          label: 'Namespace',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: `label_values(pipewright_batches_total{${job(p)}}, namespace)`, refId: 'namespace' },
          definition: `label_values(pipewright_batches_total{${job(p)}}, namespace)`,
          refresh: 2,
          sort: 1,
          current: {},
          hide: 0,
        },
      ],
    },
    annotations: { list: [] },
    panels: grid.panels,
  };
}

/** Where the dashboard lands in the generated repository. */
export const DASHBOARD_PATH = 'k8s/monitoring/dashboard.json';

/** The dashboard file: JSON, two-space indented, ending in a newline. */
export function dashboardJson(p: Pipeline): string {
  return JSON.stringify(dashboard(p), null, 2) + '\n';
}

/** Template values of deploy.monitoring: off, or its labels and prepared alert rules. */
export function monitoringView(p: Pipeline): TemplateView['monitoring'] {
  const m = monitoringOf(p);
  if (!m) return undefined;
  return { labels: Object.entries(m.labels).map(([key, value]) => ({ key, value })), rules: alertRules(p), dashboardUid: dashboardUid(p.name) };
}
