/**
 * Pipeline → pipeline.yaml, in one canonical form: fixed key order, defaults
 * left out where the Pipeline leaves them out, parameters in the order their
 * kind declares them. parse(serialize(p)) gives p back, positions included.
 */
import { Document } from 'yaml';
import { getKind } from '../runtime/kinds/registry.js';
import { emptyPipeline, PIPELINE_FORMAT_VERSION, type NodeInput, type Pipeline, type PipelineNode, type SampleEvent } from './pipeline.js';

function inputValue(inputs: NodeInput[]): unknown {
  if (inputs.length === 0) return undefined;
  const ref = (i: NodeInput) => (i.fromPort === 'out' ? i.from : `${i.from}.${i.fromPort}`);
  if (inputs.every((i) => i.port === 'in')) return inputs.length === 1 ? ref(inputs[0]) : inputs.map(ref);
  const byPort: Record<string, string[]> = {};
  for (const i of inputs) (byPort[i.port] ??= []).push(ref(i));
  return Object.fromEntries(Object.entries(byPort).map(([port, refs]) => [port, refs.length === 1 ? refs[0] : refs]));
}

function sample(s: SampleEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.key !== undefined) out.key = s.key;
  out.value = s.value;
  if (s.timestamp !== undefined) out.timestamp = s.timestamp;
  if (s.headers !== undefined) out.headers = s.headers;
  return out;
}

function nodeObject(n: PipelineNode): Record<string, unknown> {
  const o: Record<string, unknown> = { id: n.id, kind: n.kind };
  if (n.label !== undefined) o.label = n.label;
  const input = inputValue(n.inputs);
  if (input !== undefined) o.input = input;
  const declared = getKind(n.kind)?.params.map((p) => p.name) ?? [];
  const names = [...declared.filter((k) => k in n.params), ...Object.keys(n.params).filter((k) => !declared.includes(k))];
  for (const k of names) if (n.params[k] !== undefined) o[k] = n.params[k];
  if (n.samples !== undefined) o.samples = n.samples.map(sample);
  if (n.position !== undefined) o.position = { x: round(n.position.x), y: round(n.position.y) };
  return o;
}

const round = (v: number) => Math.round(v * 10) / 10;

export function serializePipeline(p: Pipeline): string {
  const o: Record<string, unknown> = { version: PIPELINE_FORMAT_VERSION, pipeline: p.name };
  if (p.description !== undefined) o.description = p.description;
  const k = p.kafka;
  // The connection first (profile, then what that profile reads), then the topics' settings.
  o.kafka = {
    profile: k.profile,
    // The mechanism belongs to sasl-ssl (and was always written for plaintext); other profiles carry it only if it was set.
    ...(k.profile === 'plaintext' || k.profile === 'sasl-ssl' || k.mechanism !== emptyPipeline().kafka.mechanism ? { mechanism: k.mechanism } : {}),
    ...(k.preset === undefined ? {} : { preset: k.preset }),
    ...(k.customCa === undefined ? {} : { customCa: k.customCa }),
    ...(k.oauth === undefined ? {} : { oauth: { ...k.oauth } }),
    ...(k.aws === undefined ? {} : { aws: { ...k.aws } }),
    replicationFactor: k.replicationFactor,
    ...(k.bootstrapServers === undefined ? {} : { bootstrapServers: k.bootstrapServers }),
    ...(k.minInsyncReplicas === undefined ? {} : { minInsyncReplicas: k.minInsyncReplicas }),
    ...(k.strimziCluster === undefined ? {} : { strimziCluster: k.strimziCluster }),
  };
  if (p.topics !== undefined && Object.keys(p.topics).length) {
    o.topics = Object.fromEntries(
      Object.entries(p.topics).map(([name, t]) => [
        name,
        {
          ...(t.external === undefined ? {} : { external: t.external }),
          ...(t.retention === undefined ? {} : { retention: t.retention }),
          ...(t.cleanup === undefined ? {} : { cleanup: t.cleanup }),
        },
      ]),
    );
  }
  o.errors = p.errors.topic === undefined ? { policy: p.errors.policy } : { policy: p.errors.policy, topic: p.errors.topic };
  if (p.delivery !== undefined) o.delivery = p.delivery;
  const deploy: Record<string, unknown> = {};
  if (p.deploy.replicas !== undefined) deploy.replicas = p.deploy.replicas;
  if (p.deploy.image !== undefined) deploy.image = p.deploy.image;
  if (p.deploy.autoscaling !== undefined) deploy.autoscaling = p.deploy.autoscaling === 'none' ? 'none' : { ...p.deploy.autoscaling };
  if (p.deploy.metricsNamespace !== undefined) deploy.metricsNamespace = p.deploy.metricsNamespace;
  if (p.deploy.monitoring !== undefined) deploy.monitoring = p.deploy.monitoring;
  if (p.deploy.livenessTimeoutSeconds !== undefined) deploy.livenessTimeoutSeconds = p.deploy.livenessTimeoutSeconds;
  if (p.deploy.standbyReplicas !== undefined) deploy.standbyReplicas = p.deploy.standbyReplicas;
  if (Object.keys(deploy).length) o.deploy = deploy;
  o.nodes = p.nodes.map(nodeObject);
  if (p.tests.length) {
    o.tests = p.tests.map((t) => {
      const test: Record<string, unknown> = { name: t.name };
      test.input = Object.fromEntries(Object.entries(t.input).map(([k, v]) => [k, v.map(sample)]));
      test.expect = Object.fromEntries(Object.entries(t.expect).map(([k, v]) => [k, v.map(sample)]));
      if (t.deadLetters !== undefined) test.deadLetters = t.deadLetters;
      if (t.ignore?.length) test.ignore = [...t.ignore];
      return test;
    });
  }
  const doc = new Document(o);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: true });
}
