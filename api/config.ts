// Environment → one typed, frozen config. Every problem is listed at once, and a production
// process refuses to start with settings that are only safe on a developer's machine.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import proxyaddr from 'proxy-addr';
import { z } from 'zod';
import { parseEncryptionKeys } from './auth/secret-box.ts';

const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().optional(),
  DATABASE_URL: z.url().optional(),
  APP_DATABASE_URL: z.url().optional(),
  EDIFY_APP_DB_PASSWORD: z.string().min(1).default('edify_app_local'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  READ_DATABASE_URL: z.url().optional(),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  DB_LOCK_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(3_000),
  EDIFY_BASE_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'a host name such as edify.app')
    .default('localhost')
    .transform((v) => v.toLowerCase().replace(/\.$/, '')),
  TRUST_PROXY: boolean.optional(),
  TRUST_PROXY_HOPS: z.coerce.number().int().min(1).max(10).optional(),
  TRUSTED_PROXIES: z.string().optional(),
  EDIFY_SECRET: z.string().optional(),
  EDIFY_SECRET_PREVIOUS: z.string().optional(),
  EDIFY_ENCRYPTION_KEY: z.string().optional(),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  REDIS_URL: z.url().optional(),
  REDIS_TIMEOUT_MS: z.coerce.number().int().min(10).max(10_000).default(500),
  SMTP_URL: z.url().optional(),
  MAIL_FROM: z.string().default('Edify <no-reply@edify.local>'),
  EDIFY_JOB_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/, 'letters, digits, _, . and - only')
    .default(''),
  WORKER_SHUTDOWN_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  STRIPE_API_BASE: z.url().optional(),
  /** The Connect endpoint's signing secret (course payments, api/enrolment/); comma-separated during rotation. */
  STRIPE_CONNECT_WEBHOOK_SECRET: z.string().optional(),
  COURSE_PLATFORM_FEE_PERCENT: z.coerce.number().min(0).max(50).default(5),
  BILLING_GRACE_DAYS: z.coerce.number().int().min(0).max(90).default(14),
  TRIAL_DAYS: z.coerce.number().int().min(0).max(90).default(14),
  EDIFY_PLANS_FILE: z.string().optional(),
  SAML_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(300).default(120),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(kb|mb)$/i, 'a size such as 1mb or 256kb')
    .default('1mb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  EDIFY_DATA_DIR: z.string().default('.edify'),
  EDIFY_DEMO: boolean.optional(),
  // Files (docs/files.md)
  FILES_STORAGE: z.enum(['local', 's3']).default('local'),
  FILES_MAX_UPLOAD_MB: z.coerce.number().positive().max(10_240).default(25),
  FILES_SIGNED_URL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  FILES_ALLOW_UNSCANNED: boolean.optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_FORCE_PATH_STYLE: boolean.default(false),
  // Scheduled backups (docs/operations.md, "Backups"): off unless BACKUP_SCHEDULE is a cron line.
  BACKUP_SCHEDULE: z.string().optional(),
  BACKUP_TARGET: z.string().min(1).optional(),
  BACKUP_KEEP_DAILY: z.coerce.number().int().min(0).max(3650).default(7),
  BACKUP_KEEP_WEEKLY: z.coerce.number().int().min(0).max(520).default(4),
  BACKUP_KEEP_MONTHLY: z.coerce.number().int().min(0).max(1200).default(6),
  CLAMAV_URL: z
    .string()
    .regex(/^(tcp:\/\/[^:/]+:\d+|\/.+)$/, 'tcp://host:port or the path of a unix socket')
    .optional(),
  CLAMAV_WHEN_DOWN: z.enum(['wait', 'refuse']).default('wait'),
  CLAMAV_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(60_000),
  // Observability (docs/operations.md, Metrics and logs)
  METRICS_TOKEN: z.string().optional(),
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  SLOW_REQUEST_MS: z.coerce.number().int().min(0).max(600_000).default(1_000),
  SLOW_QUERY_MS: z.coerce.number().int().min(0).max(600_000).default(500),
  SENTRY_DSN: z.url().optional(),
  WORKER_HEARTBEAT_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  READY_WORKER_STALE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  READY_REQUIRES_WORKER: boolean.optional(),
});

export type Config = Readonly<{
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  appDatabaseUrl: string | undefined;
  appDbPassword: string;
  poolMax: number;
  /** The app role on a streaming standby, for heavy reads (api/db/read.ts); unset: the primary. */
  readDatabaseUrl: string | undefined;
  /** Per tenant session on the app and read pools (tenants/session.ts): the bounded wait. 0: none. */
  sessionLimits: { statementTimeoutMs: number; lockTimeoutMs: number };
  baseDomain: string;
  /** Believe X-Forwarded-* headers at all (set by TRUST_PROXY, TRUST_PROXY_HOPS or TRUSTED_PROXIES). */
  trustProxy: boolean;
  /** How many proxies of ours append to X-Forwarded-For: only that many right-most entries are believed. */
  proxyHops: number | undefined;
  /** Addresses (CIDRs) of our own proxies: X-Forwarded-For is believed only through these. */
  trustedProxies: string[];
  /** Token signing secrets: the first signs, all verify (rotation). */
  signingSecrets: string[];
  /** Encryption keys for secrets at rest, `id:base64,...`, first one current. */
  encryptionKeys: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  redisUrl: string | undefined;
  /** Bounds connecting to Redis and each rate-limit command; past it the check counts in memory. */
  redisTimeoutMs: number;
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Prefixed to job queue names (several deployments or test processes on one database). */
  jobPrefix: string;
  /** How long a stopping worker lets running jobs finish. */
  workerShutdownMs: number;
  stripe: { secretKey: string | undefined; webhookSecrets: string[]; apiBase: string | undefined; connectWebhookSecrets?: string[] };
  /** The platform's share of each course payment (Stripe `application_fee_amount`), in percent. */
  coursePlatformFeePercent?: number;
  billingGraceDays: number;
  trialDays: number;
  plansFile: string | undefined;
  /** Clock difference tolerated on SAML assertion times. */
  samlClockSkewMs: number;
  bodyLimit: string;
  logLevel: string;
  dataDir: string;
  seedDemo: boolean;
  files: FilesConfig;
  backup: BackupConfig;
  observability: ObservabilityConfig;
}>;

/** Metrics, slow logs, the error hook and the worker heartbeat (docs/operations.md, Metrics and logs). */
export type ObservabilityConfig = Readonly<{
  /** Bearer token for /metrics on the main port; without it the main port serves /metrics only in development. */
  metricsToken: string | undefined;
  /** A separate internal port serving only /metrics (the token is still asked for when set). */
  metricsPort: number | undefined;
  metricsHost: string;
  /** A request (or query) taking at least this long is logged at warn; 0 logs every one. */
  slowRequestMs: number;
  slowQueryMs: number;
  /** Sentry-compatible DSN: 500s are posted to its envelope endpoint. */
  sentryDsn: string | undefined;
  workerHeartbeatMs: number;
  /** A worker heartbeat older than this counts as silent. */
  workerStaleMs: number;
  /** /readyz is not ready while no worker has been heard from within workerStaleMs. */
  readyRequiresWorker: boolean;
}>;

/** Scheduled per-school backups (api/backup/schedule.ts): a cron line (UTC), a target (a directory
 * or s3://bucket/prefix, with the S3_* endpoint and credentials) and the retention. */
export type BackupConfig = Readonly<{
  schedule: string | undefined;
  target: string;
  keep: { daily: number; weekly: number; monthly: number };
  s3: { endpoint: string | undefined; region: string; accessKeyId: string | undefined; secretAccessKey: string | undefined; forcePathStyle: boolean };
}>;

/** Uploads, storage and scanning (api/files/, docs/files.md). */
export type FilesConfig = Readonly<{
  storage: 'local' | 's3';
  /** Local storage root: <EDIFY_DATA_DIR>/files. */
  dir: string;
  /** Largest upload for a school whose plan sets no max_upload_mb. */
  maxUploadBytes: number;
  signedUrlSeconds: number;
  /** Whether files stored while no scanner is configured ('unscanned') may be attached. */
  allowUnscanned: boolean;
  s3:
    | {
        endpoint: string | undefined;
        bucket: string;
        region: string;
        accessKeyId: string | undefined;
        secretAccessKey: string | undefined;
        forcePathStyle: boolean;
      }
    | undefined;
  clamav: { url: string; whenDown: 'wait' | 'refuse'; timeoutMs: number } | undefined;
}>;

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Edify cannot start, the configuration has problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`DATABASE_URL=`) means unset, as in most tools.
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const problems: string[] = [];
  const proxies = proxySettings(e, production, problems);
  if (production) {
    if (!e.DATABASE_URL) problems.push('DATABASE_URL is required in production (the embedded database is for development)');
    if (!e.APP_DATABASE_URL) problems.push('APP_DATABASE_URL is required in production (the non-owner edify_app role)');
    const secretProblem = weakSecret(e.EDIFY_SECRET);
    if (secretProblem) problems.push(`EDIFY_SECRET ${secretProblem}; generate one with \`npx edify secrets:generate\``);
    const keyProblem = e.EDIFY_ENCRYPTION_KEY === undefined ? 'is missing' : encryptionKeyProblem(e.EDIFY_ENCRYPTION_KEY);
    if (keyProblem) problems.push(`EDIFY_ENCRYPTION_KEY ${keyProblem}; generate one with \`npx edify secrets:generate\``);
    if (e.EDIFY_BASE_DOMAIN === 'localhost') problems.push('EDIFY_BASE_DOMAIN must be the real domain in production, not localhost');
    if (e.EDIFY_DEMO) problems.push('EDIFY_DEMO must not be enabled in production (it creates known passwords)');
  } else {
    if (e.EDIFY_SECRET !== undefined && e.EDIFY_SECRET.length < 32) problems.push('EDIFY_SECRET must be at least 32 characters');
    const keyProblem = e.EDIFY_ENCRYPTION_KEY === undefined ? undefined : encryptionKeyProblem(e.EDIFY_ENCRYPTION_KEY);
    if (keyProblem) problems.push(`EDIFY_ENCRYPTION_KEY ${keyProblem}`);
  }
  // Previous signing secrets still verify tokens: the same check as the current one.
  for (const [i, previous] of (e.EDIFY_SECRET_PREVIOUS?.split(',') ?? []).entries()) {
    const problem = production ? weakSecret(previous.trim()) : previous.trim().length < 32 ? 'must be at least 32 characters' : undefined;
    if (problem) problems.push(`EDIFY_SECRET_PREVIOUS entry ${i + 1} ${problem}`);
  }
  if (production) {
    // The development database password is published in this repository.
    const appPassword = e.APP_DATABASE_URL ? safeDecode(new URL(e.APP_DATABASE_URL).password) : '';
    if (isKnownDefault(appPassword)) problems.push('APP_DATABASE_URL uses a development or well-known password for edify_app; set a strong one');
    if (env.EDIFY_APP_DB_PASSWORD !== undefined && env.EDIFY_APP_DB_PASSWORD !== '' && isKnownDefault(e.EDIFY_APP_DB_PASSWORD)) {
      problems.push('EDIFY_APP_DB_PASSWORD is a development or well-known password; set a strong one');
    }
  }
  if (production && e.METRICS_TOKEN !== undefined) {
    const tokenProblem = weakSecret(e.METRICS_TOKEN);
    if (tokenProblem) problems.push(`METRICS_TOKEN ${tokenProblem}; generate one with \`openssl rand -base64 32\``);
  }
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) problems.push('METRICS_PORT must differ from PORT (it is the internal metrics port)');
  if (e.FILES_STORAGE === 's3' && !e.S3_BUCKET) problems.push('S3_BUCKET is required when FILES_STORAGE=s3');
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = path.resolve(e.EDIFY_DATA_DIR);
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    databaseUrl: e.DATABASE_URL,
    appDatabaseUrl: e.APP_DATABASE_URL,
    appDbPassword: e.EDIFY_APP_DB_PASSWORD,
    poolMax: e.DB_POOL_MAX,
    readDatabaseUrl: e.READ_DATABASE_URL,
    sessionLimits: { statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS, lockTimeoutMs: e.DB_LOCK_TIMEOUT_MS },
    baseDomain: e.EDIFY_BASE_DOMAIN,
    ...proxies,
    signingSecrets: [
      e.EDIFY_SECRET ?? localSecret(dataDir, 'secret', () => randomBytes(32).toString('base64url')),
      ...(e.EDIFY_SECRET_PREVIOUS?.split(',').map((v) => v.trim()) ?? []),
    ],
    encryptionKeys: e.EDIFY_ENCRYPTION_KEY ?? localSecret(dataDir, 'encryption-key', newEncryptionKey),
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
    redisUrl: e.REDIS_URL,
    redisTimeoutMs: e.REDIS_TIMEOUT_MS,
    smtpUrl: e.SMTP_URL,
    mailFrom: e.MAIL_FROM,
    jobPrefix: e.EDIFY_JOB_PREFIX,
    workerShutdownMs: e.WORKER_SHUTDOWN_SECONDS * 1000,
    samlClockSkewMs: e.SAML_CLOCK_SKEW_SECONDS * 1000,
    stripe: {
      secretKey: e.STRIPE_SECRET_KEY,
      webhookSecrets: (e.STRIPE_WEBHOOK_SECRET ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      apiBase: e.STRIPE_API_BASE,
      connectWebhookSecrets: (e.STRIPE_CONNECT_WEBHOOK_SECRET ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    },
    coursePlatformFeePercent: e.COURSE_PLATFORM_FEE_PERCENT,
    billingGraceDays: e.BILLING_GRACE_DAYS,
    trialDays: e.TRIAL_DAYS,
    plansFile: e.EDIFY_PLANS_FILE,
    bodyLimit: e.BODY_LIMIT.toLowerCase(),
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    dataDir,
    seedDemo: e.EDIFY_DEMO ?? e.NODE_ENV === 'development',
    files: Object.freeze({
      storage: e.FILES_STORAGE,
      dir: path.join(dataDir, 'files'),
      maxUploadBytes: Math.round(e.FILES_MAX_UPLOAD_MB * 1024 * 1024),
      signedUrlSeconds: e.FILES_SIGNED_URL_SECONDS,
      allowUnscanned: e.FILES_ALLOW_UNSCANNED ?? !production,
      s3:
        e.FILES_STORAGE === 's3' && e.S3_BUCKET
          ? {
              endpoint: e.S3_ENDPOINT,
              bucket: e.S3_BUCKET,
              region: e.S3_REGION,
              accessKeyId: e.S3_ACCESS_KEY_ID,
              secretAccessKey: e.S3_SECRET_ACCESS_KEY,
              forcePathStyle: e.S3_FORCE_PATH_STYLE,
            }
          : undefined,
      clamav: e.CLAMAV_URL ? { url: e.CLAMAV_URL, whenDown: e.CLAMAV_WHEN_DOWN, timeoutMs: e.CLAMAV_TIMEOUT_MS } : undefined,
    }),
    backup: Object.freeze({
      schedule: e.BACKUP_SCHEDULE?.trim() || undefined,
      target: e.BACKUP_TARGET ?? path.join(dataDir, 'backups'),
      keep: { daily: e.BACKUP_KEEP_DAILY, weekly: e.BACKUP_KEEP_WEEKLY, monthly: e.BACKUP_KEEP_MONTHLY },
      s3: {
        endpoint: e.S3_ENDPOINT,
        region: e.S3_REGION,
        accessKeyId: e.S3_ACCESS_KEY_ID,
        secretAccessKey: e.S3_SECRET_ACCESS_KEY,
        forcePathStyle: e.S3_FORCE_PATH_STYLE,
      },
    }),
    observability: Object.freeze({
      metricsToken: e.METRICS_TOKEN,
      metricsPort: e.METRICS_PORT,
      metricsHost: e.METRICS_HOST,
      slowRequestMs: e.SLOW_REQUEST_MS,
      slowQueryMs: e.SLOW_QUERY_MS,
      sentryDsn: e.SENTRY_DSN,
      workerHeartbeatMs: e.WORKER_HEARTBEAT_SECONDS * 1000,
      workerStaleMs: e.READY_WORKER_STALE_SECONDS * 1000,
      readyRequiresWorker: e.READY_REQUIRES_WORKER ?? false,
    }),
  });
}

// Which X-Forwarded-For entries to believe. Each proxy appends the address it received the request
// from, so only the right-most entries written by our own proxies are true; everything to their
// left is whatever the client sent. TRUST_PROXY=true alone does not say how many those are: in
// production that is refused (guessing wrong either trusts the client or blames one proxy for
// everyone); elsewhere it means one proxy.
function proxySettings(
  e: { TRUST_PROXY?: boolean | undefined; TRUST_PROXY_HOPS?: number | undefined; TRUSTED_PROXIES?: string | undefined },
  production: boolean,
  problems: string[],
): { trustProxy: boolean; proxyHops: number | undefined; trustedProxies: string[] } {
  const trustedProxies = (e.TRUSTED_PROXIES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of trustedProxies) {
    try {
      proxyaddr.compile(entry);
    } catch {
      problems.push(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, 2001:db8::/32, loopback)`);
    }
  }
  const named = e.TRUST_PROXY_HOPS !== undefined || trustedProxies.length > 0;
  if (e.TRUST_PROXY_HOPS !== undefined && trustedProxies.length > 0) problems.push('TRUST_PROXY_HOPS and TRUSTED_PROXIES: set one of them, not both');
  if (e.TRUST_PROXY === false && named) problems.push('TRUST_PROXY is false but TRUST_PROXY_HOPS or TRUSTED_PROXIES is set: remove one');
  const trustProxy = e.TRUST_PROXY === true || named;
  if (trustProxy && !named && production) {
    problems.push(
      'TRUST_PROXY=true needs TRUST_PROXY_HOPS (how many proxies of yours the request passes) or TRUSTED_PROXIES (their addresses): otherwise clients choose their own address',
    );
  }
  const proxyHops = trustProxy && trustedProxies.length === 0 ? (e.TRUST_PROXY_HOPS ?? 1) : undefined;
  return { trustProxy, proxyHops, trustedProxies };
}

// Outside production, secrets are generated once per checkout and kept under .edify/, so tokens
// and encrypted values survive a restart without anyone committing a secret.
function localSecret(dataDir: string, name: string, generate: () => string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = generate();
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
}

export function newSigningSecret(): string {
  return randomBytes(48).toString('base64url');
}

export function newEncryptionKey(id = `k${Date.now().toString(36)}`): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

// Values seen in examples, tutorials and our own docs: never acceptable in production.
const KNOWN_DEFAULTS = [
  'changeme',
  'change-me',
  'secret',
  'password',
  'edify',
  'development',
  'test',
  'example',
  'your-secret-here',
  'jwt-secret',
  'supersecret',
  'postgres',
  // The development database password (EDIFY_APP_DB_PASSWORD's default, README, test/run.ts).
  'edify_app_local',
];

function isKnownDefault(value: string): boolean {
  const lower = value.toLowerCase();
  return KNOWN_DEFAULTS.some((d) => lower === d || lower.replaceAll(/[^a-z]/g, '') === d.replaceAll(/[^a-z]/g, ''));
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Why a signing secret is unsafe, or undefined. Applied to EDIFY_SECRET and every
 * EDIFY_SECRET_PREVIOUS entry in production. */
export function weakSecret(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return 'is missing';
  if (isKnownDefault(value)) return 'is a well-known default value';
  if (value.length < 32) return `is too short (${value.length} characters; at least 32)`;
  return notRandom([...value]);
}

/** Why a secret's characters (or a key's bytes) cannot have come from a random generator. A
 * random value of 32 or more units uses many distinct units and almost never repeats a run of
 * three; a repeated character, a repeated short word or repeated text does both. */
function notRandom(units: readonly (string | number)[]): string | undefined {
  if (new Set(units).size < 8) return 'has too little variety to be random';
  const runs = new Set<string>();
  for (let i = 0; i + 3 <= units.length; i++) runs.add(units.slice(i, i + 3).join(','));
  if (runs.size < 0.75 * (units.length - 2)) return 'repeats itself (a repeated word or text), so it is not random';
  return undefined;
}

/** Why an EDIFY_ENCRYPTION_KEY value is unusable, or undefined (the parser's own message). Every
 * key listed (the current one and older ones kept for decrypting) gets the same check. */
export function encryptionKeyProblem(value: string): string | undefined {
  try {
    const keys = parseEncryptionKeys(value);
    for (const [i, k] of keys.entries()) {
      const problem = isKnownDefault(k.key.toString('utf8')) ? 'is a well-known default value' : notRandom([...k.key]);
      if (problem) return `entry ${i + 1} ("${k.id}") ${problem}`;
    }
    return undefined;
  } catch (error) {
    return (error as Error).message.replace(/^Encryption keys: /, 'is unusable: ');
  }
}

/** The address of a school's site, for links in email and CLI output. */
export function schoolUrl(config: Config, slug: string): string {
  return config.env === 'production' ? `https://${slug}.${config.baseDomain}` : `http://${slug}.${config.baseDomain}:${config.port}`;
}
