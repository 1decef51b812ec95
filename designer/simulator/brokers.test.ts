import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../codegen/parse.js';
import { simulationPlan } from '../../codegen/simulate.js';
import { DEFAULT_CLUSTER, fitCluster } from './BrokersPanel.js';
import type { Command, Report } from './protocol.js';
import { DEFAULT_SETTINGS } from './session.js';
import { serveSimulator } from './worker-loop.js';

const pipeline = parsePipeline(readFileSync(new URL('../../examples/large-orders/pipeline.yaml', import.meta.url), 'utf8')).pipeline!;

function harness() {
  const reports: Report[] = [];
  let handler: (c: Command) => void = () => {};
  serveSimulator(
    (r) => reports.push(r),
    (h) => (handler = h),
  );
  const send = async (c: Command) => {
    const before = reports.length;
    handler(c);
    for (let i = 0; i < 200 && reports.length === before; i++) await new Promise((r) => setTimeout(r, 5));
  };
  const last = () => reports.filter((r): r is Extract<Report, { type: 'view' }> => r.type === 'view').at(-1)!.view;
  return { reports, send, last };
}

describe('brokers in the simulator worker', () => {
  it('turns brokers on, kills and restarts one with its leaders failing over, changes acks live, and keeps the cluster across a reset', async () => {
    const w = harness();
    await w.send({ type: 'load', plan: simulationPlan(pipeline), settings: { ...DEFAULT_SETTINGS }, files: {}, speed: 10 });
    expect(w.last().cluster).toBeUndefined();
    await w.send({ type: 'set-cluster', cluster: DEFAULT_CLUSTER });
    expect(w.last().tick).toBe(0);
    expect(w.last().cluster!.brokers.map((b) => b.up)).toEqual([true, true, true]);
    await w.send({ type: 'step' });
    const led = w
      .last()
      .cluster!.partitions.filter((p) => p.leader === 2)
      .map((p) => `${p.topic}-${p.partition}`);
    expect(led.length).toBeGreaterThan(0);
    await w.send({ type: 'kill-broker', id: 2 });
    const after = w.last().cluster!;
    expect(after.brokers.find((b) => b.id === 2)!.up).toBe(false);
    for (const id of led) expect(after.partitions.find((p) => `${p.topic}-${p.partition}` === id)!.leader).not.toBe(2);
    expect(w.last().notes.some((n) => n.kind === 'leader-elected' && n.text.startsWith(`broker 2 died: partition ${led[0]} lost its leader; broker `))).toBe(
      true,
    );
    await w.send({ type: 'set-cluster', cluster: { ...DEFAULT_CLUSTER, acks: '1' } });
    // A live change: the run goes on, broker 2 still down.
    expect(w.last().cluster!.spec.acks).toBe('1');
    expect(w.last().cluster!.brokers.find((b) => b.id === 2)!.up).toBe(false);
    await w.send({ type: 'restart-broker', id: 2 });
    expect(w.last().cluster!.brokers.every((b) => b.up)).toBe(true);
    await w.send({ type: 'slow-broker', id: 3, factor: 0 });
    expect(w.last().cluster!.brokers.find((b) => b.id === 3)).toEqual({ id: 3, up: true, slow: 0 });
    await w.send({ type: 'set-cluster', cluster: fitCluster({ ...DEFAULT_CLUSTER, acks: '1', brokers: 2 }) });
    expect(w.last().cluster!.spec).toMatchObject({ brokers: 2, replicationFactor: 2, minInsyncReplicas: 2 });
    await w.send({ type: 'reset', seed: 4 });
    expect(w.last().cluster!.brokers).toHaveLength(2);
    await w.send({ type: 'set-cluster', cluster: null });
    expect(w.last().cluster).toBeUndefined();
    expect(w.reports.filter((r) => r.type === 'error')).toEqual([]);
  });

  it('says what is wrong with a cluster it cannot run, and keeps the run it had', async () => {
    const w = harness();
    await w.send({ type: 'load', plan: simulationPlan(pipeline), settings: { ...DEFAULT_SETTINGS, cluster: DEFAULT_CLUSTER }, files: {}, speed: 10 });
    await w.send({ type: 'set-cluster', cluster: { ...DEFAULT_CLUSTER, brokers: 2 } });
    expect(w.reports.at(-1)).toEqual({ type: 'error', message: 'cluster.replicationFactor is 3; it must be between 1 and the broker count (2)' });
    await w.send({ type: 'step' });
    await w.send({ type: 'reset' });
    expect(w.reports.at(-1)).toMatchObject({ type: 'view', view: { tick: 0 } });
    expect(w.last().cluster!.brokers).toHaveLength(3);
  });
});
