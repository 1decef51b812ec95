import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../cli.js';
import { parseDevArgs } from './node-command.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-dev-args-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'pipeline.yaml');
writeFileSync(file, 'pipeline: p\n');
const error = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const r = parseDevArgs(argv, env);
  return 'error' in r ? r.error : undefined;
};

describe('pipewright dev: the command line', () => {
  it('takes the pipeline, the brokers, and listens on 127.0.0.1 at a free port unless told', () => {
    const r = parseDevArgs([file, '--brokers', 'kafka-1:9092,kafka-2:9092'], {});
    expect(r).toMatchObject({ pipelinePath: file, host: '127.0.0.1', port: 0 });
    expect('config' in r && r.config.brokers).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(parseDevArgs(['--port', '8123', '--host', '0.0.0.0'], { KAFKA_BROKERS: 'k:9092' })).toMatchObject({ port: 8123, host: '0.0.0.0' });
  });

  it('says what is wrong: no brokers, a bad port, host, file, or connection setting', () => {
    expect(error([file])).toBe('say which Kafka cluster: --brokers host:port (or set KAFKA_BROKERS)');
    expect(error(['--brokers', 'k:9092', '--port', 'http'])).toBe('--port http is not a port number (0 to 65535)');
    expect(error(['--brokers', 'k:9092', '--host', 'my host'])).toBe('--host my host is not an IP address (e.g. 127.0.0.1)');
    expect(error([join(dir, 'missing.yaml'), '--brokers', 'k:9092'])).toMatch(/missing\.yaml: no such file; create one with pipewright init/);
    expect(error([dir, '--brokers', 'k:9092'])).toBe(`${dir} is not a file`);
    expect(error(['--brokers', 'k'])).toMatch(/^--brokers entry "k" is not host:port/);
    expect(error(['--brokers', 'k:9092'], { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' })).toMatch(/KAFKA_SASL_PASSWORD is missing/);
    expect(error(['a.yaml', 'b.yaml', '--brokers', 'k:9092'])).toMatch(/^one pipeline file at most/);
  });

  it('a usage error exits with 2 and the usage, before anything starts', async () => {
    const lines: string[] = [];
    const code = await main(['dev', file, '--brokers', 'k:9092', '--port', '70000'], { log: (s) => lines.push(s), err: (s) => lines.push(s) });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/--port 70000 is not a port number[\s\S]*Usage: pipewright dev/);
  });
});
