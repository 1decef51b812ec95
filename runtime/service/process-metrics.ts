/**
 * The standard process and Node.js runtime metrics, under the names prom-client's
 * collectDefaultMetrics gives them (so existing Node.js dashboards work), from Node's
 * built-ins: CPU, memory, heap, event-loop delay, garbage collection, handles and
 * file descriptors. Written by hand to keep the vendored runtime's dependencies short.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { Histogram } from './metrics.js';

/** prom-client's default buckets for nodejs_gc_duration_seconds. */
export const GC_SECONDS_BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5] as const;

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

export class ProcessMetrics {
  readonly gc = new Map<string, Histogram>();
  private readonly delay: IntervalHistogram;
  private readonly observer: PerformanceObserver;
  private readonly startTime = Math.round(Date.now() / 1000 - process.uptime());

  /** `labels`: what every series carries, e.g. the pipeline (`pipeline="orders"`, escaped); none when empty. */
  constructor(private readonly labels = '') {
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
    this.observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other';
        let h = this.gc.get(kind);
        if (!h) this.gc.set(kind, (h = new Histogram(GC_SECONDS_BUCKETS)));
        h.observe(entry.duration / 1000);
      }
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.delay.disable();
    this.observer.disconnect();
  }

  /** The metrics now; waits one turn of the event loop to measure its lag, as prom-client does. */
  async render(): Promise<string> {
    const began = process.hrtime.bigint();
    await new Promise((resolve) => setImmediate(resolve));
    const lag = Number(process.hrtime.bigint() - began) / 1e9;
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, rows: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [own, v] of rows) {
        const labels = [this.labels, own].filter(Boolean).join(',');
        lines.push(labels ? `${name}{${labels}} ${v}` : `${name} ${v}`);
      }
    };
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const status = procStatus();
    metric('process_cpu_user_seconds_total', 'counter', 'Total user CPU time spent in seconds.', [['', cpu.user / 1e6]]);
    metric('process_cpu_system_seconds_total', 'counter', 'Total system CPU time spent in seconds.', [['', cpu.system / 1e6]]);
    metric('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.', [['', (cpu.user + cpu.system) / 1e6]]);
    metric('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [['', this.startTime]]);
    metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', [['', memory.rss]]);
    if (status.VmSize !== undefined) metric('process_virtual_memory_bytes', 'gauge', 'Virtual memory size in bytes.', [['', status.VmSize]]);
    if (status.VmData !== undefined) metric('process_heap_bytes', 'gauge', 'Process heap size in bytes.', [['', status.VmData]]);
    const fds = openFds();
    if (fds !== undefined) metric('process_open_fds', 'gauge', 'Number of open file descriptors.', [['', fds]]);
    const maxFds = maxOpenFds();
    if (maxFds !== undefined) metric('process_max_fds', 'gauge', 'Maximum number of open file descriptors.', [['', maxFds]]);
    metric('nodejs_eventloop_lag_seconds', 'gauge', 'Lag of event loop in seconds.', [['', lag]]);
    // The delay histogram covers the time since the last scrape, then starts again.
    const d = this.delay;
    const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
    metric('nodejs_eventloop_lag_min_seconds', 'gauge', 'The minimum recorded event loop delay.', [['', d.count > 0 ? seconds(d.min) : 0]]);
    metric('nodejs_eventloop_lag_max_seconds', 'gauge', 'The maximum recorded event loop delay.', [['', seconds(d.max)]]);
    metric('nodejs_eventloop_lag_mean_seconds', 'gauge', 'The mean of the recorded event loop delays.', [['', seconds(d.mean)]]);
    metric('nodejs_eventloop_lag_stddev_seconds', 'gauge', 'The standard deviation of the recorded event loop delays.', [['', seconds(d.stddev)]]);
    metric('nodejs_eventloop_lag_p50_seconds', 'gauge', 'The 50th percentile of the recorded event loop delays.', [['', seconds(d.percentile(50))]]);
    metric('nodejs_eventloop_lag_p90_seconds', 'gauge', 'The 90th percentile of the recorded event loop delays.', [['', seconds(d.percentile(90))]]);
    metric('nodejs_eventloop_lag_p99_seconds', 'gauge', 'The 99th percentile of the recorded event loop delays.', [['', seconds(d.percentile(99))]]);
    d.reset();
    metric('nodejs_active_resources_total', 'gauge', 'Number of active resources that are currently keeping the event loop alive.', [
      ['', process.getActiveResourcesInfo().length],
    ]);
    metric('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes.', [['', memory.heapTotal]]);
    metric('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes.', [['', memory.heapUsed]]);
    metric('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes.', [['', memory.external]]);
    const spaces = getHeapSpaceStatistics();
    const space = (s: { space_name: string }) => `space="${s.space_name.replace(/_space$/, '')}"`;
    metric(
      'nodejs_heap_space_size_total_bytes',
      'gauge',
      'Process heap space size total from Node.js in bytes.',
      spaces.map((s) => [space(s), s.space_size]),
    );
    metric(
      'nodejs_heap_space_size_used_bytes',
      'gauge',
      'Process heap space size used from Node.js in bytes.',
      spaces.map((s) => [space(s), s.space_used_size]),
    );
    metric(
      'nodejs_heap_space_size_available_bytes',
      'gauge',
      'Process heap space size available from Node.js in bytes.',
      spaces.map((s) => [space(s), s.space_available_size]),
    );
    const [major, minor, patch] = process.versions.node.split('.');
    metric('nodejs_version_info', 'gauge', 'Node.js version info.', [[`version="${process.version}",major="${major}",minor="${minor}",patch="${patch}"`, 1]]);
    lines.push(
      '# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      '# TYPE nodejs_gc_duration_seconds histogram',
    );
    for (const [kind, h] of [...this.gc].sort((a, b) => a[0].localeCompare(b[0])))
      lines.push(...h.rows('nodejs_gc_duration_seconds', [this.labels, `kind="${kind}"`].filter(Boolean).join(',')));
    return lines.join('\n') + '\n';
  }
}

/** VmSize and VmData of /proc/self/status in bytes (Linux; empty elsewhere). */
function procStatus(): { VmSize?: number; VmData?: number } {
  try {
    const out: { VmSize?: number; VmData?: number } = {};
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(VmSize|VmData):\s+(\d+) kB/.exec(line);
      if (m) out[m[1] as 'VmSize' | 'VmData'] = Number(m[2]) * 1024;
    }
    return out;
  } catch {
    return {};
  }
}

function openFds(): number | undefined {
  try {
    // The listing itself holds one descriptor open while it reads.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

function maxOpenFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
