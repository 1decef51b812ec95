/**
 * How a Pipewright service connects to Kafka, declared once: the connection
 * profiles of pipeline.yaml and the SASL mechanisms behind them. The service's
 * configuration (config.ts), the kafkajs client (transports/kafka-connection.ts),
 * the pipeline format (codegen/parse.ts) and the generated manifests all read
 * these tables. No Node.js imports: the designer reads them too.
 */

/** SASL mechanisms a service can use, with the names kafkajs and KEDA's Kafka scaler give them. */
export const SASL_MECHANISMS = {
  plain: {
    kafkajs: 'plain',
    keda: 'plaintext',
    credentials: 'password',
    summary: 'SASL/PLAIN: a user name and password (Confluent Cloud API keys, Azure Event Hubs)',
  },
  'scram-sha-256': { kafkajs: 'scram-sha-256', keda: 'scram_sha256', credentials: 'password', summary: 'SASL/SCRAM-SHA-256: a user name and password' },
  'scram-sha-512': {
    kafkajs: 'scram-sha-512',
    keda: 'scram_sha512',
    credentials: 'password',
    summary: 'SASL/SCRAM-SHA-512: a user name and password (Strimzi, self-managed clusters, Amazon MSK SCRAM)',
  },
  oauthbearer: { kafkajs: 'oauthbearer', keda: 'oauthbearer', credentials: 'oidc', summary: 'SASL/OAUTHBEARER with an OIDC client-credentials token' },
  'aws-msk-iam': {
    kafkajs: 'oauthbearer',
    keda: 'oauthbearer',
    credentials: 'aws',
    summary: 'SASL/OAUTHBEARER with an Amazon MSK IAM token signed with the AWS credentials of the pod',
  },
} as const;

export type SaslMechanism = keyof typeof SASL_MECHANISMS;
export const SASL_MECHANISM_NAMES = Object.keys(SASL_MECHANISMS) as SaslMechanism[];
/** The mechanisms that take a user name and password: the `mechanism` of the sasl-ssl profile. */
export type PasswordMechanism = { [K in SaslMechanism]: (typeof SASL_MECHANISMS)[K]['credentials'] extends 'password' ? K : never }[SaslMechanism];
export const PASSWORD_MECHANISMS = SASL_MECHANISM_NAMES.filter((m) => SASL_MECHANISMS[m].credentials === 'password') as PasswordMechanism[];

/** Names as prose: "a, b or c"; `quote` wraps each, e.g. in backticks for Markdown. */
export function orList(names: readonly string[], quote = ''): string {
  const q = names.map((n) => `${quote}${n}${quote}`);
  return q.length < 2 ? q.join('') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}

/** The connection profiles of pipeline.yaml (`kafka.profile`). */
export const CONNECTION_PROFILES = {
  plaintext: { tls: false, summary: 'no TLS, no authentication: local and development brokers' },
  'sasl-ssl': { tls: true, summary: 'TLS and a SASL user name and password (PLAIN or SCRAM)' },
  mtls: { tls: true, summary: 'TLS with a client certificate (Strimzi TLS listeners, self-managed clusters)' },
  'aws-msk-iam': { tls: true, summary: 'Amazon MSK with IAM access control, credentials from the pod (IRSA)' },
  oauthbearer: { tls: true, summary: 'SASL/OAUTHBEARER with tokens from an OIDC provider (client credentials)' },
} as const;

export type ConnectionProfile = keyof typeof CONNECTION_PROFILES;
export const CONNECTION_PROFILE_NAMES = Object.keys(CONNECTION_PROFILES) as ConnectionProfile[];

/** Named settings of the sasl-ssl profile for managed services. */
export const SASL_SSL_PRESETS = {
  'confluent-cloud': {
    mechanism: 'plain',
    /** The user name is the API key, the password the API secret. */
    username: undefined,
    bootstrapExample: 'pkc-xxxxx.eu-west-1.aws.confluent.cloud:9092',
    summary: 'Confluent Cloud: SASL/PLAIN over TLS with an API key and secret, the public CAs',
  },
  'azure-event-hubs': {
    mechanism: 'plain',
    /** Event Hubs takes the literal user name $ConnectionString and the connection string as the password. */
    username: '$ConnectionString',
    bootstrapExample: 'my-namespace.servicebus.windows.net:9093',
    summary: 'Azure Event Hubs (Kafka endpoint, port 9093): SASL/PLAIN over TLS, user $ConnectionString, the connection string as password',
  },
} as const;

export type SaslSslPreset = keyof typeof SASL_SSL_PRESETS;
export const SASL_SSL_PRESET_NAMES = Object.keys(SASL_SSL_PRESETS) as SaslSslPreset[];

/** The SASL mechanism a profile uses, if any. */
export function profileMechanism(profile: ConnectionProfile, mechanism: PasswordMechanism): SaslMechanism | undefined {
  if (profile === 'sasl-ssl') return mechanism;
  if (profile === 'oauthbearer' || profile === 'aws-msk-iam') return profile;
  return undefined;
}

/** An AWS region name, e.g. eu-west-1 or us-gov-west-1. */
export const AWS_REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * The Amazon MSK IAM signer: imported by the service only with the aws-msk-iam profile, and a
 * dependency of the generated package.json only then.
 */
export const MSK_SIGNER = { module: 'aws-msk-iam-sasl-signer-js', version: '1.0.3' } as const;

/** OAuth scopes as KAFKA_OAUTH_SCOPE holds them, separated by commas (as KEDA reads them) or spaces. */
export function oauthScopes(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** Where the service finds TLS files mounted from the Secret `<pipeline>-kafka-tls` in Kubernetes. */
export const TLS_MOUNT = '/etc/kafka-tls';
export const TLS_FILES = { ca: 'ca.crt', cert: 'client.crt', key: 'client.key' } as const;
