/**
 * The generated service through each secured listener of the test broker, configured the way
 * its Kubernetes manifests configure it: one pipeline.yaml per connection profile, generated,
 * and the service started with that profile's k8s/config.env and the keys of its
 * k8s/secret.example.yaml (filled with the test broker's credentials; the TLS Secret's files
 * in a folder that stands for its mount). The generated code does not depend on the profile
 * (checked below), so one repository is built and started once per profile:
 *
 *   - sasl-ssl SCRAM-SHA-512, mtls and oauthbearer (OIDC client credentials, from a token
 *     endpoint served here that hands out the unsigned JWTs the broker's test validator takes):
 *     events in, outputs out, SIGTERM exits 0;
 *   - a wrong password, an untrusted certificate, an unreadable CA file, a refused client
 *     secret: one line that says what to fix, exit 1, no stack trace;
 *   - aws-msk-iam cannot reach AWS: the signer takes the credentials a container endpoint served
 *     here hands out, and the broker's OAUTHBEARER listener refuses its (non-JWT) token, which
 *     shows the SASL handshake was OAUTHBEARER. Not tried: a real MSK cluster, IRSA's web
 *     identity exchange with STS, and KEDA reading the lag with these settings.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import { freePort, mustRun, repoRoot, run, secureListeners, waitFor, type SecureListeners } from './process.js';

/** Lines a Node stack trace has; none may reach the user. */
const STACK = /^\s+at .+\(?.*:\d+:\d+\)?$/m;
/** Where the Deployment mounts the Secret <pipeline>-kafka-tls (runtime/service/connection.ts). */
const TLS_MOUNT = '/etc/kafka-tls';

type Profile = 'scram' | 'mtls' | 'oauthbearer' | 'msk';

const runId = randomUUID().slice(0, 8);
const name = `connections-it-${runId}`;
const input = `orders-connections-it-${runId}`;
const output = `large-orders-connections-it-${runId}`;
const deadLetters = `${name}.dead-letter`;
const CLIENT_ID = 'orders-service';
const CLIENT_SECRET = `s3cret-${runId}`;

/** KEY=VALUE lines of a kustomize env file. */
function envFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? filesUnder(join(dir, f)) : [join(dir, f)]));
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
const unsignedJwt = (sub: string) => `${b64({ alg: 'none' })}.${b64({ sub, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 })}.`;

describe('the generated service through TLS, SASL and OAUTHBEARER listeners', () => {
  const work = mkdtempSync(join(tmpdir(), 'pipewright-connections-it-'));
  /** What the Secret <pipeline>-kafka-tls holds, as its volume mount shows it. */
  const tlsDir = join(work, 'kafka-tls');
  let secure: SecureListeners;
  let stopSecure = async () => {};
  let admin: Admin;
  let verify: Consumer;
  const outputs: { key: string; value: Record<string, unknown> }[] = [];
  const dirs = {} as Record<Profile, string>;
  /** The built repository (sasl-ssl); the others are generated only, to read their k8s/ files. */
  let built: string;
  let oidc: Server;
  const tokenRequests: { authorization: string; body: string }[] = [];
  let awsCredentials: Server;
  const credentialRequests: string[] = [];

  async function listen(server: Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** A client of the test broker over its SCRAM listener, as the topic owner and the checks use it. */
  const scramClient = (): KafkaConfig => ({
    clientId: `pw-connections-it-${runId}`,
    brokers: [secure.scram.brokers],
    ssl: { ca: [readFileSync(secure.ca, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: secure.scram.username, password: secure.scram.password },
    logLevel: logLevel.ERROR,
  });

  beforeAll(async () => {
    ({ secure, stop: stopSecure } = await secureListeners());
    mkdirSync(tlsDir);
    copyFileSync(secure.ca, join(tlsDir, 'ca.crt'));
    copyFileSync(secure.clientCert, join(tlsDir, 'client.crt'));
    copyFileSync(secure.clientKey, join(tlsDir, 'client.key'));

    // The OIDC provider: client credentials grant, the client authenticated with HTTP Basic.
    oidc = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        tokenRequests.push({ authorization: String(req.headers.authorization), body });
        const [id, secret] = Buffer.from(String(req.headers.authorization).replace(/^Basic /, ''), 'base64')
          .toString()
          .split(':')
          .map(decodeURIComponent);
        const grant = new URLSearchParams(body).get('grant_type');
        if (req.url !== '/oauth2/token' || grant !== 'client_credentials' || id !== CLIENT_ID || secret !== CLIENT_SECRET) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_client' }));
          return;
        }
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ access_token: unsignedJwt(id), token_type: 'Bearer', expires_in: 600 }));
      });
    });
    const oidcPort = await listen(oidc);
    // The container credentials endpoint the AWS SDK asks when AWS_CONTAINER_CREDENTIALS_FULL_URI is set.
    awsCredentials = createServer((req, res) => {
      credentialRequests.push(String(req.url));
      const expiration = new Date(Date.now() + 3_600_000).toISOString();
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          AccessKeyId: 'AKIAIOSFODNN7EXAMPLE',
          SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
          Token: 'test-session',
          Expiration: expiration,
        }),
      );
    });
    await listen(awsCredentials);

    // One pipeline.yaml per profile, pointed at the listener for it.
    const kafkaBlocks: Record<Profile, Record<string, unknown>> = {
      scram: { profile: 'sasl-ssl', mechanism: 'scram-sha-512', customCa: true, bootstrapServers: secure.scram.brokers },
      mtls: { profile: 'mtls', customCa: true, bootstrapServers: secure.mtls.brokers },
      oauthbearer: {
        profile: 'oauthbearer',
        customCa: true,
        oauth: { tokenEndpoint: `http://127.0.0.1:${oidcPort}/oauth2/token`, scope: 'kafka' },
        bootstrapServers: secure.oauthbearer.brokers,
      },
      msk: {
        profile: 'aws-msk-iam',
        customCa: true,
        aws: { region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/connections-it' },
        bootstrapServers: secure.oauthbearer.brokers,
      },
    };
    const example = readFileSync(join(repoRoot, 'examples/large-orders/pipeline.yaml'), 'utf8');
    for (const [profile, kafka] of Object.entries(kafkaBlocks) as [Profile, Record<string, unknown>][]) {
      const doc = parseDocument(example);
      doc.set('pipeline', name);
      doc.set('kafka', doc.createNode({ ...kafka, replicationFactor: 1 }));
      doc.setIn(['nodes', 0, 'topic'], input);
      const sink = (doc.toJS().nodes as { kind: string }[]).findIndex((n) => n.kind === 'kafka-sink');
      doc.setIn(['nodes', sink, 'topic'], output);
      const file = join(work, `${profile}.yaml`);
      writeFileSync(file, doc.toString());
      dirs[profile] = join(work, profile);
      await mustRun(process.execPath, ['bin/pipewright.mjs', 'generate', file, '-o', dirs[profile]], { cwd: repoRoot, timeoutMs: 60_000 });
    }
    built = dirs.scram;
    symlinkSync(join(repoRoot, 'node_modules'), join(built, 'node_modules'), 'dir');
    await mustRun(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: built, timeoutMs: 120_000 });

    admin = new Kafka(scramClient()).admin();
    await admin.connect();
    // The input topic belongs to whoever writes it; the service's own topics come from npm run topics.
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 6, replicationFactor: 1 }] });
    await mustRun(process.execPath, ['dist/src/topics.js'], { cwd: built, env: serviceEnv('scram'), timeoutMs: 60_000 });
    verify = new Kafka(scramClient()).consumer({ groupId: `verify-${runId}` });
    await verify.connect();
    await verify.subscribe({ topics: [output], fromBeginning: true });
    await verify.run({
      eachMessage: async ({ message }) => void outputs.push({ key: String(message.key), value: JSON.parse(String(message.value)) as Record<string, unknown> }),
    });
  }, 300_000);

  afterAll(async () => {
    await verify?.disconnect().catch(() => {});
    if (admin) {
      await admin.deleteTopics({ topics: [input, output, deadLetters] }).catch(() => {});
      await admin.disconnect();
    }
    await new Promise((resolve) => (oidc ? oidc.close(resolve) : resolve(undefined)));
    await new Promise((resolve) => (awsCredentials ? awsCredentials.close(resolve) : resolve(undefined)));
    await stopSecure();
    rmSync(work, { recursive: true, force: true });
  });

  /** The test broker's values for the keys the profile's example Secret names; a key it does not know fails the test. */
  function secretValues(profile: Profile): Record<string, string> {
    const known: Record<string, string> = {
      KAFKA_SASL_USERNAME: secure.scram.username,
      KAFKA_SASL_PASSWORD: secure.scram.password,
      KAFKA_OAUTH_CLIENT_ID: CLIENT_ID,
      KAFKA_OAUTH_CLIENT_SECRET: CLIENT_SECRET,
    };
    const [kafkaSecret, tlsSecret] = parseAllDocuments(readFileSync(join(dirs[profile], 'k8s/secret.example.yaml'), 'utf8')).map(
      (d) => d.toJS() as { metadata: { name: string }; stringData: Record<string, string> },
    );
    expect(kafkaSecret.metadata.name).toBe(`${name}-kafka`);
    // The TLS Secret holds exactly the files the folder standing for its mount has.
    if (tlsSecret) for (const file of Object.keys(tlsSecret.stringData)) expect(readdirSync(tlsDir), `${file} of ${tlsSecret.metadata.name}`).toContain(file);
    return Object.fromEntries(
      Object.keys(kafkaSecret.stringData).map((k) => [k, known[k] ?? expect.fail(`the ${profile} Secret names ${k}, which this test has no value for`)]),
    );
  }

  /** The environment the Deployment gives the profile's pods: config.env, the Secret, the TLS mount. */
  function serviceEnv(profile: Profile, change: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    const config = envFile(readFileSync(join(dirs[profile], 'k8s/config.env'), 'utf8'));
    for (const [k, v] of Object.entries(config)) if (v.startsWith(`${TLS_MOUNT}/`)) config[k] = join(tlsDir, v.slice(TLS_MOUNT.length + 1));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: work, ...config, ...secretValues(profile), ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete env[k];
    return env;
  }

  async function produce(batch: number): Promise<number[]> {
    const producer = new Kafka(scramClient()).producer();
    await producer.connect();
    const orders = [
      { orderId: batch * 100 + 1, customer: `c-${batch}`, amount: 250, currency: 'EUR' },
      { orderId: batch * 100 + 2, customer: `c-${batch}`, amount: 40, currency: 'EUR' },
      { orderId: batch * 100 + 3, customer: `d-${batch}`, amount: 120.5, currency: 'EUR' },
    ];
    await producer.send({ topic: input, acks: -1, messages: orders.map((o) => ({ key: o.customer, value: JSON.stringify(o) })) });
    await producer.disconnect();
    return orders.filter((o) => o.amount >= 100).map((o) => o.orderId);
  }

  /** Starts the built service with the profile's environment, until the batch's outputs arrive; then SIGTERM. */
  async function endToEnd(profile: Profile, batch: number): Promise<string> {
    const expected = await produce(batch);
    const port = await freePort();
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: built,
      env: { ...serviceEnv(profile), PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => logs.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => logs.push(d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(
        `the outputs of orders ${expected.join(', ')} through the ${profile} listener`,
        90_000,
        () => expected.every((id) => outputs.some((o) => o.value.orderId === id)),
        () => logs.join(''),
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit, logs.join('')).toBe(0);
    const got = outputs.filter((o) => expected.includes(o.value.orderId as number));
    expect(got.map((o) => o.value.total as number).sort((a, b) => a - b)).toEqual([145.81, 302.5]);
    return logs.join('');
  }

  /** A start that must fail: exit 1 and the one error line, without a stack trace. */
  async function failedStart(profile: Profile, change: Record<string, string | undefined>): Promise<string> {
    const r = await run(process.execPath, ['dist/src/main.js'], {
      cwd: built,
      env: { ...serviceEnv(profile, change), PORT: String(await freePort()) },
      timeoutMs: 90_000,
    });
    expect(r.code, r.output).toBe(1);
    expect(r.output).not.toMatch(STACK);
    const errors = r.output
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('pipewright:') || l.includes('"level":"error"'));
    expect(errors, r.output).toHaveLength(1);
    return errors[0];
  }

  it('one build serves every profile: the profiles differ in k8s/, README, pipeline.yaml and package.json only', () => {
    const src = (dir: string) => filesUnder(join(dir, 'src')).map((f) => [relative(dir, f), readFileSync(f, 'utf8')]);
    for (const profile of ['mtls', 'oauthbearer', 'msk'] as const) {
      expect(src(dirs[profile])).toEqual(src(dirs.scram));
      expect(readFileSync(join(dirs[profile], 'tsconfig.json'), 'utf8')).toBe(readFileSync(join(built, 'tsconfig.json'), 'utf8'));
    }
    // The MSK profile adds the signer, at the version installed here (and so in the build's node_modules).
    const deps = (JSON.parse(readFileSync(join(dirs.msk, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    const installed = JSON.parse(readFileSync(join(repoRoot, 'node_modules/aws-msk-iam-sasl-signer-js/package.json'), 'utf8')) as { version: string };
    expect(deps['aws-msk-iam-sasl-signer-js']).toBe(installed.version);
  });

  it('sasl-ssl with SCRAM-SHA-512 and the CA from the TLS Secret: events in, outputs out', async () => {
    expect(serviceEnv('scram')).toMatchObject({
      KAFKA_BROKERS: secure.scram.brokers,
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SSL_CA: join(tlsDir, 'ca.crt'),
    });
    await endToEnd('scram', 1);
  }, 180_000);

  it('mtls with the client certificate and key from the TLS Secret: events in, outputs out', async () => {
    expect(serviceEnv('mtls')).toMatchObject({
      KAFKA_BROKERS: secure.mtls.brokers,
      KAFKA_SSL_CERT: join(tlsDir, 'client.crt'),
      KAFKA_SSL_KEY: join(tlsDir, 'client.key'),
    });
    expect(serviceEnv('mtls').KAFKA_SASL_MECHANISM).toBeUndefined();
    await endToEnd('mtls', 2);
  }, 180_000);

  it("oauthbearer with OIDC client credentials: the token endpoint is asked with the Secret's client, events in, outputs out", async () => {
    tokenRequests.length = 0;
    await endToEnd('oauthbearer', 3);
    expect(tokenRequests.length).toBeGreaterThan(0);
    expect(tokenRequests[0].authorization).toBe(`Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(tokenRequests[0].body))).toEqual({ grant_type: 'client_credentials', scope: 'kafka' });
  }, 180_000);

  it('a wrong password: one line naming the Secret keys to check, exit 1', async () => {
    const line = await failedStart('scram', { KAFKA_SASL_PASSWORD: `${secure.scram.password}-wrong` });
    expect(line).toMatch(
      /^pipewright: cannot connect to Kafka: Kafka refused the SASL scram-sha-512 authentication \(.*\); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD in the Kafka credentials Secret/,
    );
  }, 120_000);

  it('an untrusted certificate (the TLS Secret without ca.crt): one line that says to set KAFKA_SSL_CA, exit 1', async () => {
    const line = await failedStart('scram', { KAFKA_SSL_CA: undefined });
    expect(line).toMatch(
      /^pipewright: cannot connect to Kafka: the brokers' TLS certificate is not trusted \(.+\); set KAFKA_SSL_CA to the PEM file of the CA that signed it/,
    );
  }, 120_000);

  it('an unreadable CA file: one configuration line, exit 1', async () => {
    const missing = join(tlsDir, 'missing-ca.crt');
    const line = await failedStart('mtls', { KAFKA_SSL_CA: missing });
    expect(line).toBe(
      `pipewright: configuration error: KAFKA_SSL_CA=${missing} cannot be read (it does not exist); it must name the PEM file of the CA that signed the brokers' certificates, mounted from the Kafka TLS Secret.`,
    );
  }, 120_000);

  it('a client secret the OIDC provider refuses: one line naming the variables, exit 1', async () => {
    const line = await failedStart('oauthbearer', { KAFKA_OAUTH_CLIENT_SECRET: 'wrong' });
    expect(line).toMatch(
      /^pipewright: cannot connect to Kafka: the OAuth token endpoint http:\/\/127\.0\.0\.1:\d+\/oauth2\/token refused the client credentials of "orders-service" \(HTTP 401: .*\)\. Check KAFKA_OAUTH_CLIENT_ID, KAFKA_OAUTH_CLIENT_SECRET and KAFKA_OAUTH_SCOPE\.$/,
    );
  }, 120_000);

  it("aws-msk-iam: the signer signs with the pod's AWS credentials and the handshake is OAUTHBEARER; the test broker refuses the (non-JWT) token", async () => {
    // Where an EKS pod gets its credentials from IRSA, this test serves them as a container endpoint does.
    const aws = {
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(awsCredentials.address() as AddressInfo).port}/creds`,
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
      AWS_CONFIG_FILE: join(work, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    expect(serviceEnv('msk')).toMatchObject({ KAFKA_SASL_MECHANISM: 'aws-msk-iam', AWS_REGION: 'eu-west-1', KAFKA_BROKERS: secure.oauthbearer.brokers });
    credentialRequests.length = 0;
    const line = await failedStart('msk', aws);
    expect(credentialRequests.length, "the signer asked for the pod's credentials").toBeGreaterThan(0);
    // The broker answered an OAUTHBEARER authentication: a mechanism it does not enable would have been refused at the handshake.
    expect(line).toMatch(
      /^pipewright: cannot connect to Kafka: Kafka refused the SASL aws-msk-iam authentication \(SASL OAUTHBEARER authentication failed: .*\); check the IAM role's kafka-cluster:Connect permission, AWS_REGION/,
    );

    // Without credentials there is nothing to sign with, and the line says where they come from.
    const none = await failedStart('msk', { ...aws, AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined });
    expect(none).toMatch(
      /^pipewright: cannot connect to Kafka: no AWS credentials to sign the MSK IAM token \(.+\); on EKS annotate the service account with eks\.amazonaws\.com\/role-arn \(IRSA\)/,
    );
  }, 180_000);
});
