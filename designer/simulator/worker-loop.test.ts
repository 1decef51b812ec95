import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePipeline } from '../../codegen/parse.js';
import { simulationPlan } from '../../codegen/simulate.js';
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
  const views = () => reports.filter((r): r is Extract<Report, { type: 'view' }> => r.type === 'view');
  const send = async (c: Command) => {
    const before = reports.length;
    handler(c);
    for (let i = 0; i < 200 && reports.length === before; i++) await new Promise((r) => setTimeout(r, 5));
  };
  return { reports, views, send, last: () => views().at(-1)! };
}

describe('the simulator worker loop', () => {
  it('answers every command with a view, stepping between commands, never during one', async () => {
    const w = harness();
    await w.send({ type: 'load', plan: simulationPlan(pipeline), settings: { ...DEFAULT_SETTINGS, replicas: 2 }, files: {}, speed: 10 });
    expect(w.last().view.tick).toBe(0);
    expect(w.last().status.running).toBe(false);
    await w.send({ type: 'step' });
    await w.send({ type: 'step-one' });
    expect(w.last().view.tick).toBe(2);
    expect(w.last().view.produced).toBe(DEFAULT_SETTINGS.rate + 1);
    await w.send({ type: 'add-replica' });
    expect(w.last().view.members).toHaveLength(3);
    await w.send({ type: 'kill-replica', id: 'replica-001' });
    expect(w.last().view.members.map((m) => m.id)).toEqual(['replica-002', 'replica-003']);
    await w.send({ type: 'rate', rate: 2 });
    expect(w.last().view.settings.rate).toBe(2);
    await w.send({ type: 'reset', seed: 5 });
    expect(w.last().view.tick).toBe(0);
    expect(w.last().view.settings).toMatchObject({ seed: 5, rate: 2 });
    expect(w.reports.filter((r) => r.type === 'error')).toEqual([]);
  });

  it("adds another group beside the pipeline's, kills and slows its members, and keeps it on reset", async () => {
    const w = harness();
    await w.send({ type: 'load', plan: simulationPlan(pipeline), settings: { ...DEFAULT_SETTINGS }, files: {}, speed: 10 });
    await w.send({ type: 'add-group', spec: { name: 'analytics', type: 'share', topic: 'orders', members: 2, lockMs: 200 } });
    for (let i = 0; i < 3; i++) await w.send({ type: 'step' });
    const g = () => w.last().view.groups.find((x) => x.name === 'analytics')!;
    expect(g().delivered).toBe(3 * DEFAULT_SETTINGS.rate);
    expect(g().members.map((m) => m.id)).toEqual(['A', 'B']);
    await w.send({ type: 'slow-group-member', name: 'analytics', id: 'B', factor: 0 });
    expect(g().members[1].slow).toBe(0);
    await w.send({ type: 'kill-group-member', name: 'analytics', id: 'A' });
    await w.send({ type: 'add-group-member', name: 'analytics' });
    expect(g().members.map((m) => m.id)).toEqual(['B', 'C']);
    // The pipeline's own group is untouched by all this.
    expect(w.last().view.members.map((m) => m.id)).toEqual(['replica-001']);
    await w.send({ type: 'reset' });
    expect(w.last().view.tick).toBe(0);
    expect(w.last().view.groups.map((x) => [x.name, x.type, x.members.length, x.delivered])).toEqual([['analytics', 'share', 2, 0]]);
    await w.send({ type: 'remove-group', name: 'analytics' });
    expect(w.last().view.groups).toEqual([]);
    expect(w.reports.filter((r) => r.type === 'error')).toEqual([]);
  });

  it('plays at full speed, throttles its views and pauses', async () => {
    const w = harness();
    await w.send({ type: 'load', plan: simulationPlan(pipeline), settings: { ...DEFAULT_SETTINGS }, files: {}, speed: 0 });
    await w.send({ type: 'play' });
    await new Promise((r) => setTimeout(r, 600));
    await w.send({ type: 'pause' });
    const views = w.views();
    const tick = w.last().view.tick;
    expect(tick).toBeGreaterThan(20);
    // Far fewer views than ticks: at most ten a second, plus the answers to the three commands.
    expect(views.length).toBeLessThan(3 + 10);
    await new Promise((r) => setTimeout(r, 200));
    await w.send({ type: 'speed', speed: 5 });
    expect(w.last().view.tick).toBe(tick);
    expect(w.last().status).toMatchObject({ running: false, speed: 5 });
  });
});
