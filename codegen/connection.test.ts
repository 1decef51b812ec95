/**
 * Connection profiles in pipeline.yaml: what is read, what round-trips, and
 * every mistake reported at its line with a PW08x code and the fix. The
 * manifests each profile gives are checked in manifests.test.ts; the
 * running service on the real broker in test/integration/connections.
 */
import { describe, expect, it } from 'vitest';
import { parsePipeline } from './parse.js';
import { serializePipeline } from './serialize.js';
import { MSK_SIGNER } from '../runtime/service/connection.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './node-assets.js';

const NODES = `nodes:
  - id: orders
    kind: kafka-source
    topic: orders
  - id: out
    kind: kafka-sink
    input: orders
    topic: large-orders
`;

/** A pipeline whose kafka block is `kafka` (indented by the caller's lines). */
const pipelineWith = (kafka: string) => `pipeline: shop-orders\nkafka:\n${kafka.replace(/^/gm, '  ')}\n${NODES}`;

function read(kafka: string) {
  return parsePipeline(pipelineWith(kafka));
}

/** Problems as `line:column CODE message | hint`, the way a user reads them. */
function problems(kafka: string): string[] {
  return read(kafka).problems.map((p) => `${p.line}:${p.column} ${p.code} ${p.message} | ${p.hint}`);
}

describe('connection profiles: reading pipeline.yaml', () => {
  it('reads each profile with its settings, and writes them back the same', () => {
    const cases: [string, object][] = [
      ['profile: plaintext', { profile: 'plaintext', mechanism: 'scram-sha-512' }],
      ['profile: sasl-ssl\nmechanism: scram-sha-256\ncustomCa: true', { profile: 'sasl-ssl', mechanism: 'scram-sha-256', customCa: true }],
      [
        'profile: sasl-ssl\npreset: confluent-cloud\nbootstrapServers: pkc-1.eu-west-1.aws.confluent.cloud:9092',
        { profile: 'sasl-ssl', preset: 'confluent-cloud', mechanism: 'plain' },
      ],
      ['profile: mtls\ncustomCa: true', { profile: 'mtls', customCa: true }],
      [
        'profile: oauthbearer\noauth: { tokenEndpoint: "https://idp.example.com/token", scope: kafka }',
        { profile: 'oauthbearer', oauth: { tokenEndpoint: 'https://idp.example.com/token', scope: 'kafka' } },
      ],
      [
        'profile: aws-msk-iam\naws: { region: eu-west-1, roleArn: "arn:aws:iam::123456789012:role/orders" }',
        { profile: 'aws-msk-iam', aws: { region: 'eu-west-1', roleArn: 'arn:aws:iam::123456789012:role/orders' } },
      ],
    ];
    for (const [kafka, expected] of cases) {
      const { pipeline, problems: found } = read(kafka);
      expect(found, kafka).toEqual([]);
      expect(pipeline!.kafka, kafka).toMatchObject(expected);
      const again = parsePipeline(serializePipeline(pipeline!));
      expect(again.problems).toEqual([]);
      expect(again.pipeline!.kafka).toEqual(pipeline!.kafka);
    }
  });

  it('an existing pipeline without a connection profile stays plaintext, and writes no settings of other profiles', () => {
    const { pipeline } = parsePipeline(`pipeline: shop-orders\n${NODES}`);
    expect(pipeline!.kafka.profile).toBe('plaintext');
    const yaml = serializePipeline(pipeline!);
    expect(yaml).toContain('kafka:\n  profile: plaintext\n  mechanism: scram-sha-512\n  replicationFactor: 3\n');
    for (const key of ['preset', 'customCa', 'oauth', 'aws']) expect(yaml).not.toContain(`${key}:`);
  });

  it('a profile or preset that does not exist, and settings of the wrong type, are named with what is allowed', () => {
    expect(problems('profile: ssl')).toEqual([
      '3:12 PW004 "kafka.profile" must be one of plaintext, sasl-ssl, mtls, aws-msk-iam, oauthbearer, not the text "ssl". | plaintext for local brokers; sasl-ssl for a user name and password (Confluent Cloud, Event Hubs, MSK SCRAM); mtls for a client certificate; aws-msk-iam for MSK with IAM; oauthbearer for OIDC tokens.',
    ]);
    expect(problems('profile: sasl-ssl\npreset: confluent')).toEqual([
      '4:11 PW004 "kafka.preset" must be confluent-cloud or azure-event-hubs, not the text "confluent". | Leave it out for any other cluster and set kafka.mechanism.',
    ]);
    expect(problems('profile: mtls\ncustomCa: "yes"')).toEqual([
      `4:13 PW004 "kafka.customCa" must be true or false, not the text "yes". | true: the brokers' certificates are signed by your own CA, whose PEM goes into the Secret as ca.crt.`,
    ]);
    expect(problems('profile: oauthbearer\noauth: { tokenEndpoint: "https://idp/token", clientSecret: s3cret }')).toEqual([
      '4:62 PW003 Unknown field "clientSecret" in kafka.oauth. | Remove it, or use one of: tokenEndpoint, scope.',
    ]);
  });
});

describe('connection profiles: validation (PW080–PW089)', () => {
  it('settings of another profile: PW080, at the setting', () => {
    expect(
      problems('profile: plaintext\npreset: confluent-cloud\ncustomCa: true\noauth: { tokenEndpoint: "https://idp/token" }\naws: { region: eu-west-1 }'),
    ).toEqual([
      '4:11 PW080 kafka.preset is for the sasl-ssl profile, and kafka.profile is plaintext. | Remove kafka.preset, or set kafka.profile: sasl-ssl.',
      '5:13 PW080 kafka.customCa is for the profiles with TLS, and kafka.profile is plaintext. | Remove kafka.customCa, or set kafka.profile: sasl-ssl, mtls, oauthbearer or aws-msk-iam (or remove it for no TLS).',
      '6:10 PW080 kafka.oauth is for the oauthbearer profile, and kafka.profile is plaintext. | Remove kafka.oauth, or set kafka.profile: oauthbearer.',
      '7:8 PW080 kafka.aws is for the aws-msk-iam profile, and kafka.profile is plaintext. | Remove kafka.aws, or set kafka.profile: aws-msk-iam.',
    ]);
  });

  it('what a profile needs and is missing: PW081, saying what to add', () => {
    expect(problems('profile: oauthbearer')).toEqual([
      "3:12 PW081 kafka.profile: oauthbearer needs kafka.oauth.tokenEndpoint. | Add oauth: { tokenEndpoint: https://login.example.com/oauth2/token }, the OIDC provider's token URL.",
    ]);
    expect(problems('profile: aws-msk-iam\naws: { region: eu-west-1 }')).toEqual([
      '4:8 PW081 kafka.profile: aws-msk-iam needs kafka.aws.roleArn. | Add aws: { roleArn: arn:aws:iam::123456789012:role/orders-pipeline }, the IAM role the pods take (IRSA) and KEDA reads the lag with.',
    ]);
    expect(problems('profile: sasl-ssl\npreset: azure-event-hubs')).toEqual([
      "4:11 PW081 kafka.preset: azure-event-hubs needs kafka.bootstrapServers. | Add the cluster's bootstrap server, e.g. bootstrapServers: my-namespace.servicebus.windows.net:9093",
    ]);
  });

  it('presets keep their exact settings: SASL/PLAIN (PW082), Event Hubs on 9093 and Confluent Cloud on 9092 (PW083)', () => {
    expect(problems('profile: sasl-ssl\npreset: azure-event-hubs\nmechanism: scram-sha-512\nbootstrapServers: ns.servicebus.windows.net:9092')).toEqual([
      '5:14 PW082 kafka.preset azure-event-hubs uses SASL/PLAIN, not scram-sha-512. | Remove kafka.mechanism: the preset sets plain.',
      '6:21 PW083 kafka.bootstrapServers names port 9092, and the Kafka endpoint of Azure Event Hubs listens on 9093. | Use my-namespace.servicebus.windows.net:9093.',
    ]);
    expect(problems('profile: sasl-ssl\npreset: confluent-cloud\nbootstrapServers: pkc-1.eu-west-1.aws.confluent.cloud:9093')).toEqual([
      '5:21 PW083 kafka.bootstrapServers names port 9093, and the Kafka endpoint of Confluent Cloud listens on 9092. | Use pkc-xxxxx.eu-west-1.aws.confluent.cloud:9092.',
    ]);
    expect(problems('profile: sasl-ssl\npreset: azure-event-hubs\nmechanism: plain\nbootstrapServers: ns.servicebus.windows.net:9093')).toEqual([]);
  });

  it('Amazon MSK IAM: a role ARN (PW084), a region (PW085), and a warning off the IAM port (PW089)', () => {
    expect(
      problems('profile: aws-msk-iam\naws: { region: Ireland, roleArn: "arn:aws:iam::123456789012:user/bob" }\nbootstrapServers: b-1.msk.example:9096'),
    ).toEqual([
      `4:18 PW085 kafka.aws.region "Ireland" is not an AWS region. | Use the MSK cluster's region, e.g. region: eu-west-1.`,
      '4:36 PW084 kafka.aws.roleArn "arn:aws:iam::123456789012:user/bob" is not the ARN of an IAM role. | Use the ARN of the role the pods take (IRSA), e.g. roleArn: arn:aws:iam::123456789012:role/orders-pipeline.',
      "5:21 PW089 kafka.bootstrapServers names port 9096, and Amazon MSK's IAM listener is on 9098 (9198 from outside the VPC). | Use the bootstrap brokers MSK lists for IAM (aws kafka get-bootstrap-brokers), e.g. b-1.my-cluster.abc123.c2.kafka.eu-west-1.amazonaws.com:9098.",
    ]);
    const warning = read(
      'profile: aws-msk-iam\naws: { region: us-gov-west-1, roleArn: "arn:aws-us-gov:iam::123456789012:role/path/orders" }\nbootstrapServers: b-1.msk.example:9096',
    ).problems;
    expect(warning.map((p) => [p.code, p.severity])).toEqual([['PW089', 'warning']]);
  });

  it('OIDC: the token endpoint is an http(s) URL (PW086; http only with a warning, PW087), the scopes are scope tokens (PW088)', () => {
    expect(problems('profile: oauthbearer\noauth: { tokenEndpoint: "idp.example.com/token" }')).toEqual([
      `4:27 PW086 kafka.oauth.tokenEndpoint "idp.example.com/token" is not an http(s) URL. | Use the OIDC provider's token URL, e.g. tokenEndpoint: https://login.example.com/oauth2/token.`,
    ]);
    // A line break would start another line of config.env: refused, though the URL parser would drop it.
    expect(problems('profile: oauthbearer\noauth: { tokenEndpoint: "https://idp/token\\nKAFKA_SSL=false" }').map((p) => p.split(' ')[1])).toEqual(['PW086']);
    const http = read('profile: oauthbearer\noauth: { tokenEndpoint: "http://keycloak.auth.svc:8080/realms/kafka/protocol/openid-connect/token" }').problems;
    expect(http.map((p) => [p.code, p.severity, p.message])).toEqual([
      ['PW087', 'warning', 'kafka.oauth.tokenEndpoint is an http:// URL: the client secret would cross the network unencrypted.'],
    ]);
    expect(problems('profile: oauthbearer\noauth: { tokenEndpoint: "https://idp/token", scope: "kafka \\\\read" }')).toEqual([
      '4:55 PW088 kafka.oauth.scope "kafka \\read" is not a list of OAuth scopes. | Separate scopes with commas or spaces; a scope is printable ASCII without quotes or backslashes, e.g. scope: kafka.read,kafka.write.',
    ]);
    expect(problems('profile: oauthbearer\noauth: { tokenEndpoint: "https://idp/token", scope: "kafka.read, kafka.write" }')).toEqual([]);
  });

  it('the generated package.json pins the MSK IAM signer this repository tests with', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies[MSK_SIGNER.module]).toBe(MSK_SIGNER.version);
  });
});
