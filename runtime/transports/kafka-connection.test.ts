import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFromEnv, type ServiceConfig } from '../service/config.js';
import { ConnectionError, connectionOptions, explainConnectionError, mskIamTokenProvider, oidcTokenProvider } from './kafka-connection.js';

const config = (over: Partial<ServiceConfig> = {}): ServiceConfig => ({
  ...configFromEnv({ KAFKA_BROKERS: 'broker-1:9093' }, { pipeline: 'p' }),
  ssl: true,
  ...over,
});

describe('kafkajs connection options', () => {
  it('TLS with the system CAs, or with the custom CA and client certificate', () => {
    expect(connectionOptions(config({ ssl: false }))).toEqual({ ssl: false });
    expect(connectionOptions(config())).toEqual({ ssl: true });
    expect(connectionOptions(config({ tls: { ca: 'CA', cert: 'C', key: 'K' } }))).toEqual({ ssl: { ca: 'CA', cert: 'C', key: 'K' } });
  });

  it('SASL: passwords as they are, OIDC and MSK IAM as OAUTHBEARER token providers', () => {
    expect(connectionOptions(config({ sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } })).sasl).toEqual({
      mechanism: 'scram-sha-256',
      username: 'u',
      password: 'p',
    });
    const oidc = connectionOptions(config({ sasl: { mechanism: 'oauthbearer', tokenEndpoint: 'https://idp/token', clientId: 'a', clientSecret: 'b' } })).sasl!;
    expect(oidc.mechanism).toBe('oauthbearer');
    expect(typeof (oidc as { oauthBearerProvider?: unknown }).oauthBearerProvider).toBe('function');
    // Its own authenticator, which reads the broker's refusal of a token (kafkajs's takes it for success).
    expect(typeof (oidc as { authenticationProvider?: unknown }).authenticationProvider).toBe('function');
    const msk = connectionOptions(config({ sasl: { mechanism: 'aws-msk-iam', region: 'eu-west-1' } })).sasl!;
    expect(msk.mechanism).toBe('oauthbearer');
  });
});

describe('OIDC client-credentials token provider', () => {
  let server: Server;
  let url: string;
  const requests: { auth?: string; body: string }[] = [];
  let answer: { status: number; body: string } = { status: 200, body: '' };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        requests.push({ auth: req.headers.authorization, body });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('asks for a token with the client credentials and scope, and reuses it until it nearly expires', async () => {
    answer = { status: 200, body: JSON.stringify({ access_token: 'tok-1', expires_in: 3600, token_type: 'Bearer' }) };
    requests.length = 0;
    const provider = oidcTokenProvider({
      mechanism: 'oauthbearer',
      tokenEndpoint: url,
      clientId: 'svc:1',
      clientSecret: 's3cret',
      scope: 'kafka.read kafka.write',
    });
    expect(await provider()).toEqual({ value: 'tok-1' });
    expect(await provider()).toEqual({ value: 'tok-1' });
    expect(requests).toHaveLength(1);
    expect(requests[0].auth).toBe(`Basic ${Buffer.from('svc%3A1:s3cret').toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(requests[0].body))).toEqual({ grant_type: 'client_credentials', scope: 'kafka.read kafka.write' });

    // A token about to expire is fetched again.
    answer = { status: 200, body: JSON.stringify({ access_token: 'tok-2', expires_in: 30 }) };
    const short = oidcTokenProvider({ mechanism: 'oauthbearer', tokenEndpoint: url, clientId: 'a', clientSecret: 'b' });
    expect(await short()).toEqual({ value: 'tok-2' });
    answer = { status: 200, body: JSON.stringify({ access_token: 'tok-3', expires_in: 30 }) };
    expect(await short()).toEqual({ value: 'tok-3' });
  });

  it('a refused client or an unreachable endpoint is a ConnectionError that says what to check', async () => {
    answer = { status: 401, body: '{"error":"invalid_client"}' };
    const refused = oidcTokenProvider({ mechanism: 'oauthbearer', tokenEndpoint: url, clientId: 'svc', clientSecret: 'wrong' });
    await expect(refused()).rejects.toThrow(ConnectionError);
    await expect(refused()).rejects.toThrow(/refused the client credentials of "svc" \(HTTP 401: \{"error":"invalid_client"\}\)\. Check KAFKA_OAUTH_CLIENT_ID/);
    // A port nothing listens on: taken, then given back.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const nowhere = oidcTokenProvider({ mechanism: 'oauthbearer', tokenEndpoint: `http://127.0.0.1:${port}/token`, clientId: 'a', clientSecret: 'b' });
    await expect(nowhere()).rejects.toThrow(`KAFKA_OAUTH_TOKEN_ENDPOINT=http://127.0.0.1:${port}/token cannot be reached (ECONNREFUSED).`);
  });
});

describe('Amazon MSK IAM token provider', () => {
  it('signs a kafka-cluster:Connect request for the region with the AWS credentials of the environment (the real signer)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIAPIPEWRIGHTTEST01', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret' });
    try {
      const { value } = await mskIamTokenProvider({ mechanism: 'aws-msk-iam', region: 'eu-central-1' })();
      const signed = new URL(Buffer.from(value, 'base64url').toString('utf8'));
      expect(signed.host).toBe('kafka.eu-central-1.amazonaws.com');
      expect(signed.searchParams.get('Action')).toBe('kafka-cluster:Connect');
      expect(signed.searchParams.get('X-Amz-Credential')).toMatch(/^AKIAPIPEWRIGHTTEST01\/\d{8}\/eu-central-1\/kafka-cluster\/aws4_request$/);
      expect(signed.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      process.env = saved;
    }
  });

  it('no credentials is a ConnectionError that points at IRSA', async () => {
    const failing = { generateAuthToken: async () => Promise.reject(new Error('Could not load credentials from any providers')) };
    await expect(mskIamTokenProvider({ mechanism: 'aws-msk-iam', region: 'eu-west-1' }, async () => failing)()).rejects.toThrow(
      /^no AWS credentials to sign the MSK IAM token \(Could not load credentials from any providers\); on EKS annotate the service account with eks\.amazonaws\.com\/role-arn/,
    );
  });
});

describe('start-up connection errors in one line', () => {
  const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
  const wrapped = (inner: Error) => Object.assign(new Error('Connection error'), { name: 'KafkaJSNumberOfRetriesExceeded', originalError: inner });

  it('wrong password, untrusted certificate, refused client certificate, nothing listening', () => {
    const sasl = config({ sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } });
    const auth = Object.assign(new Error('SASL SCRAM SHA512 authentication failed: invalid credentials'), { name: 'KafkaJSSASLAuthenticationError' });
    expect(explainConnectionError(auth, sasl)).toMatch(
      /^Kafka refused the SASL scram-sha-512 authentication \(.*\); check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/,
    );
    expect(explainConnectionError(wrapped(withCode('self-signed certificate in certificate chain', 'SELF_SIGNED_CERT_IN_CHAIN')), sasl)).toMatch(
      /^the brokers' TLS certificate is not trusted \(SELF_SIGNED_CERT_IN_CHAIN\); set KAFKA_SSL_CA/,
    );
    expect(explainConnectionError(wrapped(withCode('ssl3_read_bytes:sslv3 alert bad certificate', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE')), config())).toMatch(
      /^the brokers refused the client certificate .*set KAFKA_SSL_CERT and KAFKA_SSL_KEY/,
    );
    expect(explainConnectionError(wrapped(withCode('connect ECONNREFUSED 10.0.0.1:9093', 'ECONNREFUSED')), config())).toMatch(
      /^cannot reach the brokers at KAFKA_BROKERS=broker-1:9093 \(ECONNREFUSED\)/,
    );
    expect(explainConnectionError(wrapped(new ConnectionError('the OAuth token endpoint said no.')), config())).toBe('the OAuth token endpoint said no.');
  });
});
