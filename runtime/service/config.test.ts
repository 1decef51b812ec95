import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'pw-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const file = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};

const base = { KAFKA_BROKERS: 'broker-1:9092' };
const cfg = (env: Record<string, string>) => configFromEnv({ ...base, ...env }, { pipeline: 'orders' });
const error = (env: Record<string, string>) => {
  try {
    cfg(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('no ConfigError');
};

describe('service configuration: the Kafka connection', () => {
  it('session timeout: 30 s unless KAFKA_SESSION_TIMEOUT_MS says, never below what a broker accepts', () => {
    expect(cfg({}).sessionTimeoutMs).toBe(30000);
    expect(cfg({ KAFKA_SESSION_TIMEOUT_MS: '6000' }).sessionTimeoutMs).toBe(6000);
    expect(error({ KAFKA_SESSION_TIMEOUT_MS: '3000' })).toBe(
      'KAFKA_SESSION_TIMEOUT_MS="3000" is not a whole number from 6000 to 300000; unset it to use 30000.',
    );
  });

  it('changelog values: compact unless CHANGELOG_VALUES=json; anything else is one clear line', () => {
    expect(cfg({}).changelogValues).toBe('compact');
    expect(cfg({ CHANGELOG_VALUES: 'json' }).changelogValues).toBe('json');
    expect(error({ CHANGELOG_VALUES: 'binary' })).toMatch(/^CHANGELOG_VALUES="binary" is not one of compact, json/);
  });

  it('plaintext: no TLS, no SASL', () => {
    const c = cfg({});
    expect(c.ssl).toBe(false);
    expect(c.sasl).toBeUndefined();
    expect(c.tls).toEqual({});
  });

  it('SASL with a password turns TLS on unless KAFKA_SSL=false', () => {
    const c = cfg({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'pw' });
    expect(c.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc', password: 'pw' });
    expect(c.ssl).toBe(true);
    expect(cfg({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'svc', KAFKA_SASL_PASSWORD: 'pw', KAFKA_SSL: 'false' }).ssl).toBe(false);
  });

  it('names the missing credential and where it comes from', () => {
    expect(error({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'svc' })).toBe(
      'KAFKA_SASL_MECHANISM=plain needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD, and KAFKA_SASL_PASSWORD is missing; both come from the Kafka credentials Secret.',
    );
    expect(error({ KAFKA_SASL_MECHANISM: 'gssapi' })).toMatch(
      /^KAFKA_SASL_MECHANISM="gssapi" is not supported; use one of plain, scram-sha-256, scram-sha-512, oauthbearer, aws-msk-iam/,
    );
    expect(error({ KAFKA_SSL: 'yes' })).toBe('KAFKA_SSL="yes" is not true or false.');
  });

  it('oauthbearer: token endpoint, client id and secret, optional scope', () => {
    const env = {
      KAFKA_SASL_MECHANISM: 'oauthbearer',
      KAFKA_OAUTH_TOKEN_ENDPOINT: 'https://idp.example.com/token',
      KAFKA_OAUTH_CLIENT_ID: 'svc',
      KAFKA_OAUTH_CLIENT_SECRET: 's3',
    };
    expect(cfg({ ...env, KAFKA_OAUTH_SCOPE: 'kafka' }).sasl).toEqual({
      mechanism: 'oauthbearer',
      tokenEndpoint: 'https://idp.example.com/token',
      clientId: 'svc',
      clientSecret: 's3',
      scope: 'kafka',
    });
    // Scopes as config.env writes them for KEDA (commas), sent space-separated as OAuth wants them.
    expect(cfg({ ...env, KAFKA_OAUTH_SCOPE: 'kafka.read,kafka.write' }).sasl).toMatchObject({ scope: 'kafka.read kafka.write' });
    expect(cfg({ ...env, KAFKA_OAUTH_SCOPE: ' , ' }).sasl).not.toHaveProperty('scope');
    expect(cfg(env).ssl).toBe(true);
    expect(error({ ...env, KAFKA_OAUTH_TOKEN_ENDPOINT: 'idp token' })).toMatch(/^KAFKA_OAUTH_TOKEN_ENDPOINT="idp token" is not a URL/);
    expect(error({ ...env, KAFKA_OAUTH_CLIENT_SECRET: '' })).toMatch(/^KAFKA_OAUTH_CLIENT_SECRET is not set; .*Secret\.$/);
  });

  it('aws-msk-iam: the region, from AWS_REGION', () => {
    expect(cfg({ KAFKA_SASL_MECHANISM: 'aws-msk-iam', AWS_REGION: 'eu-west-1' }).sasl).toEqual({ mechanism: 'aws-msk-iam', region: 'eu-west-1' });
    expect(error({ KAFKA_SASL_MECHANISM: 'aws-msk-iam' })).toMatch(/^AWS_REGION is not set; .*e\.g\. AWS_REGION=eu-west-1\.$/);
    expect(error({ KAFKA_SASL_MECHANISM: 'aws-msk-iam', AWS_REGION: 'Ireland' })).toMatch(/^AWS_REGION="Ireland" is not an AWS region/);
  });

  it('custom CA and client certificate from PEM files; TLS on', () => {
    const c = cfg({ KAFKA_SSL_CA: file('ca.crt', CERT), KAFKA_SSL_CERT: file('client.crt', CERT), KAFKA_SSL_KEY: file('client.key', KEY) });
    expect(c.tls).toEqual({ ca: CERT, cert: CERT, key: KEY });
    expect(c.ssl).toBe(true);
  });

  it('an unreadable or wrong CA file, or half a client certificate, is one clear line', () => {
    const missing = join(dir, 'nope.crt');
    expect(error({ KAFKA_SSL_CA: missing })).toBe(
      `KAFKA_SSL_CA=${missing} cannot be read (it does not exist); it must name the PEM file of the CA that signed the brokers' certificates, mounted from the Kafka TLS Secret.`,
    );
    expect(error({ KAFKA_SSL_CA: dir })).toMatch(/cannot be read \(it is a folder\)/);
    if (process.getuid?.() !== 0) {
      const locked = file('locked.crt', CERT);
      chmodSync(locked, 0);
      expect(error({ KAFKA_SSL_CA: locked })).toMatch(/cannot be read \(permission denied\)/);
    }
    expect(error({ KAFKA_SSL_CA: file('key-as-ca.crt', KEY) })).toMatch(/is not a PEM file of the CA/);
    expect(error({ KAFKA_SSL_CERT: file('only.crt', CERT) })).toBe('KAFKA_SSL_CERT is set without KAFKA_SSL_KEY; a client certificate needs both files.');
  });
});

describe('service configuration: TOPIC_PREFIX', () => {
  it('empty unless set; a name Kafka would refuse is one clear line', () => {
    expect(cfg({}).topicPrefix).toBe('');
    expect(cfg({ TOPIC_PREFIX: 'pwdev-ab12-' }).topicPrefix).toBe('pwdev-ab12-');
    expect(error({ TOPIC_PREFIX: 'a/b' })).toMatch(/^TOPIC_PREFIX="a\/b" may hold only letters, digits/);
  });
});
