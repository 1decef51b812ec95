/**
 * What a learner (or an exercise's script, or its solution) does to a running
 * simulation: add, remove or kill replicas, change the rate, add consumer
 * groups and their members, kill and restart brokers. Actions carry the
 * simulated second they happen at; `Script` applies them as time passes, and
 * `runOf` turns a simulator and its snapshots into what checks read. Portable:
 * the simulator's worker and the Node tests share it.
 */
import type { ClusterSpec } from '../runtime/simulator/cluster.js';
import { MAX_GROUP_MEMBERS, type ExtraGroupSpec } from '../runtime/simulator/readers.js';
import type { Simulator } from '../runtime/simulator/simulator.js';
import type { RunMessage, RunSnapshot, SimRun } from './exercise-checks.js';

export type { ClusterSpec, ExtraGroupSpec };

export interface ExerciseAction {
  /** Simulated seconds from the start; applied at once when left out. */
  at?: number;
  do: ActionName;
  replica?: string;
  rate?: number;
  group?: string | ExtraGroupSpec;
  member?: string;
  factor?: number;
  broker?: number;
  cluster?: Partial<ClusterSpec>;
}

const groupSpec = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'topic', 'members'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]*$' },
    type: { enum: ['consumer', 'share', 'queue'] },
    topic: { type: 'string', minLength: 1 },
    members: { type: 'integer', minimum: 0, maximum: MAX_GROUP_MEMBERS },
    lockMs: { type: 'integer', minimum: 1 },
    batchSize: { type: 'integer', minimum: 1 },
  },
};

const clusterProps = {
  brokers: { type: 'integer', minimum: 1, maximum: 5 },
  replicationFactor: { type: 'integer', minimum: 1, maximum: 5 },
  minInsyncReplicas: { type: 'integer', minimum: 1, maximum: 5 },
  acks: { enum: ['all', '1', '0'] },
  uncleanLeaderElection: { type: 'boolean' },
  replicaLagTicks: { type: 'integer', minimum: 1 },
};
export const CLUSTER_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['brokers', 'replicationFactor', 'minInsyncReplicas', 'acks', 'uncleanLeaderElection'],
  properties: clusterProps,
};
export const GROUP_SCHEMA = groupSpec;

const name = { type: 'string', minLength: 1 };
/** Each action's parameters (JSON Schema properties) and the ones it needs. */
export const ACTIONS = {
  'add-replica': { props: {}, required: [] },
  'remove-replica': { props: {}, required: [] },
  'kill-replica': { props: { replica: name }, required: [] },
  'set-rate': { props: { rate: { type: 'integer', minimum: 0, maximum: 1000 } }, required: ['rate'] },
  'add-group': { props: { group: groupSpec }, required: ['group'] },
  'remove-group': { props: { group: name }, required: ['group'] },
  'add-group-member': { props: { group: name }, required: ['group'] },
  'kill-group-member': { props: { group: name, member: name }, required: ['group'] },
  'slow-group-member': { props: { group: name, member: name, factor: { type: 'number', minimum: 0 } }, required: ['group', 'member', 'factor'] },
  'kill-broker': { props: { broker: { type: 'integer', minimum: 1 } }, required: ['broker'] },
  'restart-broker': { props: { broker: { type: 'integer', minimum: 1 } }, required: ['broker'] },
  'slow-broker': { props: { broker: { type: 'integer', minimum: 1 }, factor: { type: 'number', minimum: 0, maximum: 1 } }, required: ['broker', 'factor'] },
  'set-cluster': { props: { cluster: { ...CLUSTER_SCHEMA, required: [], minProperties: 1 } }, required: ['cluster'] },
} as const;

export type ActionName = keyof typeof ACTIONS;
export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

export const ACTION_SCHEMA = {
  type: 'object',
  required: ['do'],
  properties: { do: { enum: ACTION_NAMES }, at: { type: 'number', minimum: 0 } },
  allOf: ACTION_NAMES.map((a) => ({
    if: { properties: { do: { const: a } } },
    then: { properties: { do: {}, at: {}, ...ACTIONS[a].props }, required: [...ACTIONS[a].required], additionalProperties: false },
  })),
};

/** One action, now. Plain words in a thrown Error when it cannot be done. */
export function applyAction(sim: Simulator, a: ExerciseAction): void {
  const group = typeof a.group === 'string' ? a.group : (a.group?.name ?? '');
  switch (a.do) {
    case 'add-replica':
      sim.addReplica();
      return;
    case 'remove-replica':
      sim.removeReplica();
      return;
    case 'kill-replica':
      sim.killReplica(a.replica);
      return;
    case 'set-rate':
      sim.rate = Math.max(0, a.rate ?? sim.rate);
      return;
    case 'add-group':
      return sim.addGroup(a.group as ExtraGroupSpec);
    case 'remove-group':
      return void sim.removeGroup(group);
    case 'add-group-member':
      return void sim.addGroupMember(group);
    case 'kill-group-member':
      return void sim.killGroupMember(group, a.member);
    case 'slow-group-member':
      return sim.slowGroupMember(group, a.member ?? '', a.factor ?? 0);
    case 'kill-broker':
      return sim.killBroker(a.broker ?? 0);
    case 'restart-broker':
      return sim.restartBroker(a.broker ?? 0);
    case 'slow-broker':
      return sim.slowBroker(a.broker ?? 0, a.factor ?? 0);
    case 'set-cluster':
      return sim.setCluster(a.cluster ?? {});
  }
}

/** Actions applied as simulated time reaches them, each once, in order. */
export class Script {
  private next = 0;
  private readonly actions: ExerciseAction[];

  /** `startTime`: simulated time of the run's start; left out, the time of the first `applyDue`. */
  constructor(
    actions: readonly ExerciseAction[],
    private startTime?: number,
  ) {
    this.actions = [...actions].sort((a, b) => (a.at ?? 0) - (b.at ?? 0));
  }

  get done(): boolean {
    return this.next >= this.actions.length;
  }

  /** Applies what is due at the simulator's time; returns how many it applied. */
  applyDue(sim: Simulator): number {
    const start = (this.startTime ??= sim.now);
    let n = 0;
    while (this.next < this.actions.length && (this.actions[this.next].at ?? 0) * 1000 <= sim.now - start) {
      applyAction(sim, this.actions[this.next++]);
      n++;
    }
    return n;
  }
}

const TEXT = new TextDecoder();

function parsed(value: unknown): unknown {
  const text = value instanceof Uint8Array ? TEXT.decode(value) : value;
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A simulator and the snapshots taken of it (oldest first), as checks read them. */
export function runOf(sim: Simulator, snapshots: readonly RunSnapshot[], deadLetterTopic: string): SimRun {
  const first = snapshots[0] ?? sim.snapshot();
  return {
    snapshots: [...snapshots],
    notes: [...sim.notes],
    startTime: first.time - first.tick * sim.tickMs,
    deadLetterTopic,
    messages: (topic): RunMessage[] =>
      sim.log.hasTopic(topic)
        ? sim.log.messages(topic).map((m) => ({ key: m.key, value: parsed(m.value), partition: m.partition, offset: m.offset, headers: m.headers }))
        : [],
    captured: sim.captured(),
  };
}

/** Step a simulator until `seconds` of simulated time have passed, applying the script; every tick's snapshot is recorded. */
export async function runFor(sim: Simulator, script: Script, seconds: number, snapshots: RunSnapshot[], startTime: number): Promise<void> {
  if (script.applyDue(sim) > 0) snapshots.push(sim.snapshot());
  while (sim.now - startTime < seconds * 1000) {
    await sim.step();
    script.applyDue(sim);
    snapshots.push(sim.snapshot());
  }
}
