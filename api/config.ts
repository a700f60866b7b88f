// Environment → one typed, frozen config. Every problem is listed at once, and a production
// process refuses to start with settings that are only safe on a developer's machine.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const boolean = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().optional(),
  DATABASE_URL: z.url().optional(),
  APP_DATABASE_URL: z.url().optional(),
  EDIFY_APP_DB_PASSWORD: z.string().min(1).default('edify_app_local'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  EDIFY_BASE_DOMAIN: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'a host name such as edify.app')
    .default('localhost')
    .transform((v) => v.toLowerCase().replace(/\.$/, '')),
  TRUST_PROXY: boolean.default(false),
  EDIFY_SECRET: z.string().optional(),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  BODY_LIMIT: z
    .string()
    .regex(/^\d+(kb|mb)$/i, 'a size such as 1mb or 256kb')
    .default('1mb'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  EDIFY_DATA_DIR: z.string().default('.edify'),
  EDIFY_DEMO: boolean.optional(),
});

export type Config = Readonly<{
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  databaseUrl: string | undefined;
  appDatabaseUrl: string | undefined;
  appDbPassword: string;
  poolMax: number;
  baseDomain: string;
  trustProxy: boolean;
  secret: string;
  accessTokenTtlSeconds: number;
  bodyLimit: string;
  logLevel: string;
  dataDir: string;
  seedDemo: boolean;
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
  if (production) {
    if (!e.DATABASE_URL) problems.push('DATABASE_URL is required in production (the embedded database is for development)');
    if (!e.APP_DATABASE_URL) problems.push('APP_DATABASE_URL is required in production (the non-owner edify_app role)');
    if (!e.EDIFY_SECRET || e.EDIFY_SECRET.length < 32) problems.push('EDIFY_SECRET must be set to at least 32 random characters in production');
    if (e.EDIFY_BASE_DOMAIN === 'localhost') problems.push('EDIFY_BASE_DOMAIN must be the real domain in production, not localhost');
    if (e.EDIFY_DEMO) problems.push('EDIFY_DEMO must not be enabled in production (it creates known passwords)');
  } else if (e.EDIFY_SECRET !== undefined && e.EDIFY_SECRET.length < 32) {
    problems.push('EDIFY_SECRET must be at least 32 characters');
  }
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
    baseDomain: e.EDIFY_BASE_DOMAIN,
    trustProxy: e.TRUST_PROXY,
    secret: e.EDIFY_SECRET ?? localSecret(dataDir),
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    bodyLimit: e.BODY_LIMIT.toLowerCase(),
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === 'test' ? 'silent' : 'info'),
    dataDir,
    seedDemo: e.EDIFY_DEMO ?? e.NODE_ENV === 'development',
  });
}

// Outside production a signing secret is generated once per checkout and kept under .edify/,
// so tokens survive a restart without anyone committing a secret.
function localSecret(dataDir: string): string {
  const file = path.join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another process wrote it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
}
