/**
 * The connection profile of pipeline.yaml (kafka.profile and the settings
 * that go with it), checked and turned into what the generated repository
 * needs: the ConfigMap's variables, the keys of the Secrets, the KEDA
 * TriggerAuthentication, the ServiceAccount's annotations, npm packages and
 * egress. The profiles themselves, and the names the service and KEDA give
 * them, are declared once in runtime/service/connection.ts.
 */
import { problem, type Problem } from './errors.js';
import type { Pipeline } from './pipeline.js';
import { bootstrapServers } from './names.js';
import {
  AWS_REGION_PATTERN,
  CONNECTION_PROFILES,
  MSK_SIGNER,
  oauthScopes,
  profileMechanism,
  orList,
  PASSWORD_MECHANISMS,
  SASL_MECHANISMS,
  SASL_SSL_PRESETS,
  TLS_FILES,
  TLS_MOUNT,
  type ConnectionProfile,
} from '../runtime/service/connection.js';

/** An IAM role ARN in any partition, with an optional path. */
const ROLE_ARN = /^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** One OAuth scope token (RFC 6749 §3.3), commas aside: they separate scopes here. */
const SCOPE_TOKEN = /^[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]+$/;
/** The bootstrap port each preset's service listens on. */
const PRESET_PORTS = { 'confluent-cloud': 9092, 'azure-event-hubs': 9093 } as const;
const PRESET_TITLES = { 'confluent-cloud': 'Confluent Cloud', 'azure-event-hubs': 'Azure Event Hubs' } as const;
const MSK_IAM_PORTS = [9098, 9198];

/** The URL of kafka.oauth.tokenEndpoint, or undefined when it is not an http(s) URL written without spaces. */
function tokenUrl(text: string): URL | undefined {
  if (!/^[\x21-\x7e]+$/.test(text)) return undefined;
  try {
    const u = new URL(text);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/** A connection setting's place in pipeline.yaml: under kafka. */
const at = (...path: string[]) => ['kafka', ...path];

/** What is wrong with the connection settings, each at its place under kafka. */
export function checkConnectionSettings(p: Pipeline): Problem[] {
  const k = p.kafka;
  const ports = bootstrapServers(k.bootstrapServers ?? '').flatMap((b) => (b ? [b.port] : []));
  return [
    ...profileFieldProblems(k),
    ...(k.profile === 'sasl-ssl' && k.preset !== undefined ? presetProblems(k, k.preset, ports) : []),
    ...(k.profile === 'oauthbearer' ? oauthProblems(k) : []),
    ...(k.profile === 'aws-msk-iam' ? awsProblems(k, ports) : []),
  ];
}

/** Settings that only one profile (or only the profiles with TLS) reads, set under another. */
function profileFieldProblems(k: Pipeline['kafka']): Problem[] {
  const problems: Problem[] = [];
  const profile = k.profile;
  const only = (field: string, owner: ConnectionProfile, usedBy: string) => {
    if (profile !== owner) problems.push(problem('PW080', { field, usedBy, profile, fix: owner }, at(field)));
  };
  if (k.preset !== undefined) only('preset', 'sasl-ssl', 'the sasl-ssl profile');
  if (k.oauth !== undefined) only('oauth', 'oauthbearer', 'the oauthbearer profile');
  if (k.aws !== undefined) only('aws', 'aws-msk-iam', 'the aws-msk-iam profile');
  if (k.customCa === true && profile === 'plaintext') {
    problems.push(
      problem(
        'PW080',
        { field: 'customCa', usedBy: 'the profiles with TLS', profile, fix: 'sasl-ssl, mtls, oauthbearer or aws-msk-iam (or remove it for no TLS)' },
        at('customCa'),
      ),
    );
  }
  return problems;
}

/** A sasl-ssl preset's mechanism, and its bootstrap servers on the port its service listens on. */
function presetProblems(k: Pipeline['kafka'], preset: NonNullable<Pipeline['kafka']['preset']>, ports: number[]): Problem[] {
  const problems: Problem[] = [];
  if (k.mechanism !== SASL_SSL_PRESETS[preset].mechanism) problems.push(problem('PW082', { preset, mechanism: k.mechanism }, at('mechanism')));
  const example = SASL_SSL_PRESETS[preset].bootstrapExample;
  if (k.bootstrapServers === undefined) {
    problems.push(
      problem(
        'PW081',
        { what: `kafka.preset: ${preset}`, field: 'kafka.bootstrapServers', hint: `Add the cluster's bootstrap server, e.g. bootstrapServers: ${example}` },
        at('preset'),
      ),
    );
  } else {
    const wrong = ports.find((port) => port !== PRESET_PORTS[preset]);
    if (wrong !== undefined)
      problems.push(
        problem(
          'PW083',
          { port: wrong, service: `the Kafka endpoint of ${PRESET_TITLES[preset]}`, expected: PRESET_PORTS[preset], example },
          at('bootstrapServers'),
        ),
      );
  }
  return problems;
}

/** The oauthbearer profile's token endpoint (an https URL) and scope. */
function oauthProblems(k: Pipeline['kafka']): Problem[] {
  const problems: Problem[] = [];
  const endpoint = k.oauth?.tokenEndpoint;
  if (endpoint === undefined) {
    problems.push(
      problem(
        'PW081',
        {
          what: 'kafka.profile: oauthbearer',
          field: 'kafka.oauth.tokenEndpoint',
          hint: "Add oauth: { tokenEndpoint: https://login.example.com/oauth2/token }, the OIDC provider's token URL.",
        },
        k.oauth ? at('oauth') : at('profile'),
      ),
    );
  } else {
    const url = tokenUrl(endpoint);
    if (!url) problems.push(problem('PW086', { value: endpoint }, at('oauth', 'tokenEndpoint')));
    else if (url.protocol === 'http:') problems.push(problem('PW087', {}, at('oauth', 'tokenEndpoint')));
  }
  const scope = k.oauth?.scope;
  if (scope !== undefined && (oauthScopes(scope).length === 0 || !oauthScopes(scope).every((s) => SCOPE_TOKEN.test(s)))) {
    problems.push(problem('PW088', { value: scope }, at('oauth', 'scope')));
  }
  return problems;
}

/** The aws-msk-iam profile's region and role, and bootstrap servers on MSK's IAM ports. */
function awsProblems(k: Pipeline['kafka'], ports: number[]): Problem[] {
  const problems: Problem[] = [];
  const { region, roleArn } = k.aws ?? {};
  if (region === undefined)
    problems.push(
      problem(
        'PW081',
        { what: 'kafka.profile: aws-msk-iam', field: 'kafka.aws.region', hint: "Add aws: { region: eu-west-1 }, the MSK cluster's region." },
        k.aws ? at('aws') : at('profile'),
      ),
    );
  else if (!AWS_REGION_PATTERN.test(region)) problems.push(problem('PW085', { value: region }, at('aws', 'region')));
  if (roleArn === undefined) {
    problems.push(
      problem(
        'PW081',
        {
          what: 'kafka.profile: aws-msk-iam',
          field: 'kafka.aws.roleArn',
          hint: 'Add aws: { roleArn: arn:aws:iam::123456789012:role/orders-pipeline }, the IAM role the pods take (IRSA) and KEDA reads the lag with.',
        },
        k.aws ? at('aws') : at('profile'),
      ),
    );
  } else if (!ROLE_ARN.test(roleArn)) problems.push(problem('PW084', { value: roleArn }, at('aws', 'roleArn')));
  const wrong = ports.find((port) => !MSK_IAM_PORTS.includes(port));
  if (wrong !== undefined) problems.push(problem('PW089', { port: wrong }, at('bootstrapServers')));
  return problems;
}

type Pair = { key: string; value: string };
type SecretEntry = { key: string; example: string; description: string };

/** What the templates need of the connection; computed only for a valid pipeline. */
export interface ConnectionView {
  profile: ConnectionProfile;
  summary: string;
  /** One flag per profile and preset, for the README's and the manifests' {{#if}}. */
  is: Record<'plaintext' | 'saslSsl' | 'mtls' | 'awsMskIam' | 'oauthbearer' | 'confluentCloud' | 'azureEventHubs' | 'customCa' | 'tls' | 'sasl', boolean>;
  /** SASL mechanism as KAFKA_SASL_MECHANISM names it, when there is one. */
  mechanism?: string;
  /** The mechanisms of the sasl-ssl profile, for the README: "`plain`, … or `…`". */
  passwordMechanisms: string;
  /** Lines of k8s/config.env. */
  config: Pair[];
  /** Keys of the Secret <pipeline>-kafka the connection reads, with placeholders. */
  secret: SecretEntry[];
  /** Files of the Secret <pipeline>-kafka-tls, mounted at `tlsMount`; empty when none is needed. */
  tlsSecret: SecretEntry[];
  tlsMount: string;
  /** KEDA's Kafka scaler: trigger metadata and the TriggerAuthentication; absent for plaintext. */
  keda?: {
    metadata: Pair[];
    secretTargetRef: { parameter: string; name: string; key: string }[];
    env: { parameter: string; name: string }[];
    podIdentity?: { provider: string; identityOwner: string };
  };
  serviceAccountAnnotations: Pair[];
  dependencies: { name: string; version: string }[];
  /** Endpoints besides the brokers the service reaches: the token endpoint (host and port), AWS STS. */
  egress: { what: string; host?: string; port: number }[];
}

export function connectionView(p: Pipeline): ConnectionView {
  const k = p.kafka;
  const profile = k.profile;
  const kafkaSecret = `${p.name}-kafka`;
  const tlsSecretName = `${p.name}-kafka-tls`;
  const customCa = profile !== 'plaintext' && k.customCa === true;
  const tls = CONNECTION_PROFILES[profile].tls;
  const mechanism = profileMechanism(profile, k.mechanism);
  const config: Pair[] = [];
  const secret: SecretEntry[] = [];
  const tlsSecret: SecretEntry[] = [];
  const metadata: Pair[] = [];
  const secretTargetRef: NonNullable<ConnectionView['keda']>['secretTargetRef'] = [];
  const env: NonNullable<ConnectionView['keda']>['env'] = [];
  let podIdentity: NonNullable<ConnectionView['keda']>['podIdentity'];
  const egress: ConnectionView['egress'] = [];

  if (tls) config.push({ key: 'KAFKA_SSL', value: 'true' });
  if (mechanism) {
    config.push({ key: 'KAFKA_SASL_MECHANISM', value: mechanism });
    metadata.push({ key: 'sasl', value: SASL_MECHANISMS[mechanism].keda });
  }
  if (profile === 'aws-msk-iam') metadata.push({ key: 'saslTokenProvider', value: 'aws_msk_iam' });
  if (tls) metadata.push({ key: 'tls', value: 'enable' });
  const files = tlsFiles(profile, customCa);
  config.push(...files.config);
  tlsSecret.push(...files.tlsSecret);
  for (const [parameter, file] of [
    ['ca', TLS_FILES.ca],
    ['cert', TLS_FILES.cert],
    ['key', TLS_FILES.key],
  ] as const) {
    if (tlsSecret.some((s) => s.key === file)) secretTargetRef.push({ parameter, name: tlsSecretName, key: file });
  }

  if (profile === 'sasl-ssl') {
    secret.push(...saslSslSecret(k));
    secretTargetRef.push(
      { parameter: 'username', name: kafkaSecret, key: 'KAFKA_SASL_USERNAME' },
      { parameter: 'password', name: kafkaSecret, key: 'KAFKA_SASL_PASSWORD' },
    );
  }
  if (profile === 'oauthbearer') {
    const o = oauthParts(k, kafkaSecret);
    config.push(...o.config);
    env.push(...o.env);
    secret.push(...o.secret);
    secretTargetRef.push(...o.secretTargetRef);
    egress.push(...o.egress);
  }
  const serviceAccountAnnotations: Pair[] = [];
  const dependencies: ConnectionView['dependencies'] = [];
  if (profile === 'aws-msk-iam') {
    config.push({ key: 'AWS_REGION', value: k.aws!.region! });
    metadata.push({ key: 'awsRegion', value: k.aws!.region! });
    serviceAccountAnnotations.push({ key: 'eks.amazonaws.com/role-arn', value: k.aws!.roleArn! });
    // KEDA takes the role the workload's ServiceAccount names.
    podIdentity = { provider: 'aws', identityOwner: 'workload' };
    dependencies.push({ name: MSK_SIGNER.module, version: MSK_SIGNER.version });
    egress.push({ what: 'AWS STS (IRSA credentials)', port: 443 });
  }
  return {
    profile,
    summary: CONNECTION_PROFILES[profile].summary,
    is: profileFlags(p.kafka, customCa, tls, mechanism),
    ...(mechanism ? { mechanism } : {}),
    passwordMechanisms: orList(PASSWORD_MECHANISMS, '`'),
    config,
    secret,
    tlsSecret,
    tlsMount: TLS_MOUNT,
    ...(profile === 'plaintext' ? {} : { keda: { metadata, secretTargetRef, env, ...(podIdentity ? { podIdentity } : {}) } }),
    serviceAccountAnnotations,
    dependencies,
    egress,
  };
}

/** The TLS files a profile reads: the CA of a custom-CA cluster, the client certificate and key of mtls; their config.env lines and Secret entries. */
function tlsFiles(profile: ConnectionProfile, customCa: boolean): { config: Pair[]; tlsSecret: SecretEntry[] } {
  const config: Pair[] = [];
  const tlsSecret: SecretEntry[] = [];
  if (customCa) {
    config.push({ key: 'KAFKA_SSL_CA', value: `${TLS_MOUNT}/${TLS_FILES.ca}` });
    tlsSecret.push({
      key: TLS_FILES.ca,
      example: "PEM of the CA that signed the brokers' certificates",
      description: "The CA the brokers' certificates chain to (for Strimzi: ca.crt of <cluster>-cluster-ca-cert).",
    });
  }
  if (profile === 'mtls') {
    config.push({ key: 'KAFKA_SSL_CERT', value: `${TLS_MOUNT}/${TLS_FILES.cert}` }, { key: 'KAFKA_SSL_KEY', value: `${TLS_MOUNT}/${TLS_FILES.key}` });
    tlsSecret.push(
      {
        key: TLS_FILES.cert,
        example: 'PEM of the client certificate',
        description: "The service's client certificate, signed by a CA the brokers trust (for Strimzi: user.crt of the KafkaUser's Secret).",
      },
      {
        key: TLS_FILES.key,
        example: 'PEM of the client private key',
        description: "The client certificate's private key, unencrypted PEM (for Strimzi: user.key).",
      },
    );
  }
  return { config, tlsSecret };
}

/** The Secret's entries of the sasl-ssl profile: the user and password, as its preset (Event Hubs, Confluent Cloud) names them. */
function saslSslSecret(k: Pipeline['kafka']): SecretEntry[] {
  const preset = k.preset;
  if (preset === 'azure-event-hubs') {
    return [
      {
        key: 'KAFKA_SASL_USERNAME',
        example: SASL_SSL_PRESETS[preset].username,
        description: 'Exactly $ConnectionString: Event Hubs takes the connection string as the password.',
      },
      {
        key: 'KAFKA_SASL_PASSWORD',
        example: 'Endpoint=sb://my-namespace.servicebus.windows.net/;SharedAccessKeyName=change-me;SharedAccessKey=change-me',
        description: "The namespace's connection string (a shared access policy that may Listen and Send).",
      },
    ];
  } else if (preset === 'confluent-cloud') {
    return [
      { key: 'KAFKA_SASL_USERNAME', example: 'change-me', description: "The cluster's API key." },
      { key: 'KAFKA_SASL_PASSWORD', example: 'change-me', description: "The API key's secret." },
    ];
  } else {
    return [
      { key: 'KAFKA_SASL_USERNAME', example: 'change-me', description: `The SASL user (${k.mechanism}).` },
      { key: 'KAFKA_SASL_PASSWORD', example: 'change-me', description: "The SASL user's password." },
    ];
  }
}

/** What the oauthbearer profile adds: the token endpoint and scopes, the client's credentials, and the endpoint to reach. */
function oauthParts(k: Pipeline['kafka'], kafkaSecret: string) {
  const config: Pair[] = [];
  const env: NonNullable<ConnectionView['keda']>['env'] = [];
  const secret: SecretEntry[] = [];
  const secretTargetRef: NonNullable<ConnectionView['keda']>['secretTargetRef'] = [];
  const egress: ConnectionView['egress'] = [];
  const endpoint = k.oauth!.tokenEndpoint!;
  config.push({ key: 'KAFKA_OAUTH_TOKEN_ENDPOINT', value: endpoint });
  env.push({ parameter: 'oauthTokenEndpointUri', name: 'KAFKA_OAUTH_TOKEN_ENDPOINT' });
  const scopes = oauthScopes(k.oauth?.scope ?? '');
  if (scopes.length) {
    config.push({ key: 'KAFKA_OAUTH_SCOPE', value: scopes.join(',') });
    env.push({ parameter: 'scopes', name: 'KAFKA_OAUTH_SCOPE' });
  }
  secret.push(
    { key: 'KAFKA_OAUTH_CLIENT_ID', example: 'change-me', description: "The service's client id at the OIDC provider." },
    { key: 'KAFKA_OAUTH_CLIENT_SECRET', example: 'change-me', description: "The client's secret (client credentials grant)." },
  );
  secretTargetRef.push(
    { parameter: 'username', name: kafkaSecret, key: 'KAFKA_OAUTH_CLIENT_ID' },
    { parameter: 'password', name: kafkaSecret, key: 'KAFKA_OAUTH_CLIENT_SECRET' },
  );
  const url = new URL(endpoint);
  egress.push({ what: 'OIDC token endpoint', host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) });
  return { config, env, secret, secretTargetRef, egress };
}

/** What the templates test about the connection: the profile, the preset, TLS and SASL. */
function profileFlags(k: Pipeline['kafka'], customCa: boolean, tls: boolean, mechanism: string | undefined): ConnectionView['is'] {
  const { profile } = k;
  return {
    plaintext: profile === 'plaintext',
    saslSsl: profile === 'sasl-ssl',
    mtls: profile === 'mtls',
    awsMskIam: profile === 'aws-msk-iam',
    oauthbearer: profile === 'oauthbearer',
    confluentCloud: profile === 'sasl-ssl' && k.preset === 'confluent-cloud',
    azureEventHubs: profile === 'sasl-ssl' && k.preset === 'azure-event-hubs',
    customCa,
    tls,
    sasl: mechanism !== undefined,
  };
}
