/**
 * The kafkajs side of a service's Kafka connection: TLS (custom CA, client
 * certificate), SASL (PLAIN, SCRAM, OAUTHBEARER with OIDC client credentials,
 * Amazon MSK IAM), and the start-up check that turns what goes wrong into one
 * line that says what to fix.
 */
import {
  Kafka,
  logLevel,
  type AuthenticationProviderArgs,
  type KafkaConfig,
  type Mechanism,
  type OauthbearerProviderResponse,
  type SASLOptions,
} from 'kafkajs';
import type { SaslConfig, ServiceConfig } from '../service/config.js';
import { MSK_SIGNER, SASL_MECHANISMS } from '../service/connection.js';

/** A start-up problem with the connection, worded for the person who configures the service. */
export class ConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionError';
  }
}

type Token = { value: string; expiresAt: number };

/** Gives the cached token until a minute before it expires, then a new one; one request at a time. */
function cachedProvider(fetchToken: () => Promise<Token>): () => Promise<OauthbearerProviderResponse> {
  let current: Token | undefined;
  let pending: Promise<Token> | undefined;
  return async () => {
    if (current && current.expiresAt - 60_000 > Date.now()) return { value: current.value };
    pending ??= fetchToken().finally(() => (pending = undefined));
    current = await pending;
    return { value: current.value };
  };
}

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4), client authenticated with HTTP Basic. */
export function oidcTokenProvider(sasl: Extract<SaslConfig, { mechanism: 'oauthbearer' }>, fetchFn: typeof fetch = fetch) {
  return cachedProvider(async () => {
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (sasl.scope) body.set('scope', sasl.scope);
    const basic = Buffer.from(`${encodeURIComponent(sasl.clientId)}:${encodeURIComponent(sasl.clientSecret)}`).toString('base64');
    let res: Response;
    try {
      res = await fetchFn(sasl.tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', authorization: `Basic ${basic}` },
        body,
        signal: AbortSignal.timeout(15_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new ConnectionError(
        `the OAuth token endpoint KAFKA_OAUTH_TOKEN_ENDPOINT=${sasl.tokenEndpoint} cannot be reached (${cause?.code ?? cause?.message ?? (e as Error).message}).`,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      const hint = res.status === 401 || res.status === 400 ? ' Check KAFKA_OAUTH_CLIENT_ID, KAFKA_OAUTH_CLIENT_SECRET and KAFKA_OAUTH_SCOPE.' : '';
      throw new ConnectionError(
        `the OAuth token endpoint ${sasl.tokenEndpoint} refused the client credentials of "${sasl.clientId}" (HTTP ${res.status}: ${text.slice(0, 200).replace(/\s+/g, ' ')}).${hint}`,
      );
    }
    let json: { access_token?: unknown; expires_in?: unknown };
    try {
      json = JSON.parse(text) as typeof json;
    } catch {
      throw new ConnectionError(`the OAuth token endpoint ${sasl.tokenEndpoint} did not answer with JSON; is KAFKA_OAUTH_TOKEN_ENDPOINT the token URL?`);
    }
    if (typeof json.access_token !== 'string' || json.access_token === '') {
      throw new ConnectionError(`the OAuth token endpoint ${sasl.tokenEndpoint} answered without an access_token.`);
    }
    const seconds = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 300;
    return { value: json.access_token, expiresAt: Date.now() + seconds * 1000 };
  });
}

/** The signer's module name: imported only when the aws-msk-iam profile is used. */
export const MSK_SIGNER_MODULE = MSK_SIGNER.module;

interface MskSigner {
  generateAuthToken(options: { region: string }): Promise<{ token: string; expiryTime: number }>;
}

/** Amazon MSK IAM: a SigV4-signed token from the pod's AWS credentials (IRSA, or the default chain). */
export function mskIamTokenProvider(sasl: Extract<SaslConfig, { mechanism: 'aws-msk-iam' }>, load: () => Promise<MskSigner> = loadSigner) {
  return cachedProvider(async () => {
    const signer = await load();
    let signed: { token: string; expiryTime: number };
    try {
      signed = await signer.generateAuthToken({ region: sasl.region });
    } catch (e) {
      throw new ConnectionError(
        `no AWS credentials to sign the MSK IAM token (${String((e as Error).message ?? e).split('\n')[0]}); on EKS annotate the service account with eks.amazonaws.com/role-arn (IRSA), elsewhere set the AWS credentials.`,
      );
    }
    return { value: signed.token, expiresAt: signed.expiryTime };
  });
}

async function loadSigner(): Promise<MskSigner> {
  const name = MSK_SIGNER_MODULE;
  try {
    const mod = (await import(/* @vite-ignore */ name)) as MskSigner & { default?: MskSigner };
    return typeof mod.generateAuthToken === 'function' ? mod : mod.default!;
  } catch {
    throw new ConnectionError(
      `KAFKA_SASL_MECHANISM=aws-msk-iam needs the npm package ${MSK_SIGNER_MODULE}; generate the service with kafka.profile: aws-msk-iam, which adds it to package.json, and run npm install.`,
    );
  }
}

const SOH = '\u0001';
/** Length-prefixed bytes: how kafkajs hands SASL messages to the broker and back. */
function sized(bytes: Buffer): Buffer {
  const out = Buffer.alloc(4 + bytes.length);
  out.writeInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}
const unsized = (raw: Buffer): Buffer => (raw.length >= 4 ? raw.subarray(4, 4 + Math.max(0, raw.readInt32BE(0))) : Buffer.alloc(0));

/** The broker refused an OAUTHBEARER token; not retried (kafkajs reads `retriable`). */
export class TokenRefusedError extends Error {
  readonly retriable = false;
  constructor(message: string) {
    super(message);
    this.name = 'TokenRefusedError';
  }
}

/** SASL/OAUTHBEARER with a token provider, for kafkajs: kafkajs's own sends the same message. */
export type OauthBearerSasl = Mechanism & { mechanism: 'oauthbearer'; oauthBearerProvider: () => Promise<OauthbearerProviderResponse> };

/**
 * SASL/OAUTHBEARER (RFC 7628) that reads the broker's answer. A broker refuses a token with an
 * error challenge (a JSON status) rather than an error code; kafkajs 2.2.4 takes that for success,
 * the broker then closes the connection, and all the client says is "No brokers in the broker
 * pool". Here the challenge fails the authentication, with the broker's status in the message.
 */
export function oauthBearer(provider: () => Promise<OauthbearerProviderResponse>): OauthBearerSasl {
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: provider,
    authenticationProvider: ({ host, port, saslAuthenticate }: AuthenticationProviderArgs) => ({
      authenticate: async () => {
        const token = await provider();
        const message = Buffer.from(`n,,${SOH}auth=Bearer ${token.value}${SOH}${SOH}`);
        const challenge = await saslAuthenticate<Buffer>({
          request: { encode: async () => sized(message) },
          response: { decode: (raw: Buffer) => unsized(raw), parse: (bytes: Buffer) => bytes },
        });
        if (challenge && challenge.length > 0) {
          // The client answers an error challenge with %x01 and the broker ends the exchange (RFC 7628 §3.2.3).
          await saslAuthenticate({ request: { encode: async () => sized(Buffer.from(SOH)) } }).catch(() => undefined);
          throw new TokenRefusedError(
            `SASL OAUTHBEARER authentication failed: the broker ${host}:${port} refused the token (${challenge.toString('utf8').slice(0, 200)})`,
          );
        }
      },
    }),
  };
}

function saslOptions(sasl: SaslConfig): SASLOptions | Mechanism {
  switch (sasl.mechanism) {
    case 'oauthbearer':
      return oauthBearer(oidcTokenProvider(sasl));
    case 'aws-msk-iam':
      return oauthBearer(mskIamTokenProvider(sasl));
    default:
      // The user name and password mechanisms, by the name kafkajs gives each.
      // kafkajs types its options per mechanism; each of these takes a user name and password.
      return { mechanism: SASL_MECHANISMS[sasl.mechanism].kafkajs, username: sasl.username, password: sasl.password } as SASLOptions;
  }
}

/** The connection part of the kafkajs client configuration. */
export function connectionOptions(config: ServiceConfig): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ssl = !config.ssl ? false : Object.keys(config.tls).length === 0 ? true : { ...config.tls };
  return { ssl, ...(config.sasl ? { sasl: saslOptions(config.sasl) } : {}) };
}

interface ErrorLike {
  name?: string;
  message?: string;
  code?: string;
  cause?: unknown;
  originalError?: unknown;
}

/** The errors kafkajs wraps, outermost first. */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e = err as ErrorLike | undefined;
  while (e && typeof e === 'object' && out.length < 8 && !out.includes(e)) {
    out.push(e);
    e = (e.originalError ?? e.cause) as ErrorLike | undefined;
  }
  return out;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);

/** One line on what went wrong connecting and how to fix it. */
export function explainConnectionError(err: unknown, config: ServiceConfig): string {
  const errors = chain(err);
  const own = errors.find((e) => e instanceof ConnectionError);
  if (own) return own.message;
  const text = errors.map((e) => `${e.message ?? ''} ${e.code ?? ''}`).join(' ');
  const code = errors.map((e) => e.code).find((c) => typeof c === 'string' && c !== '') ?? '';
  const brokers = `KAFKA_BROKERS=${config.brokers.join(',')}`;
  const first = (errors.find((e) => e.message)?.message ?? String(err)).split('\n')[0];
  if (
    errors.some((e) => e.name === 'KafkaJSSASLAuthenticationError' || e instanceof TokenRefusedError) ||
    /SASL .*authentication failed|Authentication failed/i.test(text)
  ) {
    const mech = config.sasl?.mechanism ?? 'none';
    const fix =
      config.sasl && SASL_MECHANISMS[config.sasl.mechanism].credentials === 'password'
        ? 'check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD in the Kafka credentials Secret, and that KAFKA_SASL_MECHANISM is the one the cluster enables'
        : config.sasl?.mechanism === 'aws-msk-iam'
          ? "check the IAM role's kafka-cluster:Connect permission, AWS_REGION, and that the brokers are the cluster's IAM listener (port 9098)"
          : 'check that the token is one the cluster accepts (issuer, audience, scope)';
    return `Kafka refused the SASL ${mech} authentication (${first}); ${fix}.`;
  }
  if (UNTRUSTED.has(code) || /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer/i.test(text)) {
    return `the brokers' TLS certificate is not trusted (${code || first}); set KAFKA_SSL_CA to the PEM file of the CA that signed it (for Strimzi, the cluster CA certificate).`;
  }
  if (code === 'CERT_HAS_EXPIRED') return `the brokers' TLS certificate has expired (${brokers}); renew it on the cluster.`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the brokers' TLS certificate does not name the host in ${brokers} (${first}); use the host name the certificate was made for.`;
  if (
    /alert (bad|unknown) certificate|certificate required|alert number 4[0-9]|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_REQUIRED|ALERT_UNKNOWN_CA/i.test(text)
  ) {
    return `the brokers refused the client certificate (${code || first}); set KAFKA_SSL_CERT and KAFKA_SSL_KEY to a certificate signed by a CA the cluster trusts.`;
  }
  if (/wrong version number|packet length too long|EPROTO/i.test(text)) {
    return `TLS failed with ${brokers} (${code || first}); the port may not be a TLS listener: set KAFKA_SSL=false, or use the cluster's TLS port.`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the broker host in ${brokers} is not known to DNS (${code}); check KAFKA_BROKERS.`;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED|Connection timeout|ETIMEDOUT|ECONNRESET/i.test(text)) {
    return `cannot reach the brokers at ${brokers} (${code || first}); check KAFKA_BROKERS, the network path, and that the port matches the profile (TLS: ${config.ssl ? 'on' : 'off'}, SASL: ${config.sasl?.mechanism ?? 'none'}).`;
  }
  return `cannot connect to Kafka at ${brokers}: ${first}`;
}

/**
 * Connects once with an admin client and asks for the cluster, so that a
 * wrong password, an untrusted certificate or an unreachable broker stops
 * the service at start-up with one clear line rather than retries and
 * stack traces. Throws a ConnectionError.
 */
export async function checkConnection(config: ServiceConfig): Promise<void> {
  const admin = new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ...connectionOptions(config),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 10_000,
    retry: { retries: 2, initialRetryTime: 500 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } catch (err) {
    throw new ConnectionError(explainConnectionError(err, config));
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
