// What the app, its routes and the CLI share for the life of a process.
import type { Logger } from 'pino';
import type { SecretBox } from './auth/secret-box.ts';
import type { SessionPolicy } from './auth/sessions.ts';
import type { TokenKeys } from './auth/tokens.ts';
import type { Plan } from './billing/plans.ts';
import type { Billing } from './billing/stripe.ts';
import type { Config } from './config.ts';
import type { Databases } from './db/connection.ts';
import type { ErrorReporter } from './http/error-report.ts';
import type { Metrics } from './http/metrics.ts';
import type { LimiterStore } from './http/rate-limit.ts';
import type { Jobs } from './jobs/jobs.ts';
import type { Mailer } from './mail/mailer.ts';

export type AppDeps = {
  config: Config;
  dbs: Databases;
  log: Logger;
  tokenKeys: TokenKeys;
  sessions: SessionPolicy;
  limiter: LimiterStore;
  mailer: Mailer;
  secretBox: SecretBox;
  /** Now, injectable so tests can move time (trials, grace periods). */
  clock: () => Date;
  billing: Billing | undefined;
  plans: Plan[];
  /** The job queue (api/jobs): requests enqueue through their own transaction (scope.outbox). */
  jobs?: Jobs;
  /** Prometheus registry and recorders (api/http/metrics.ts); buildApp makes one when missing. */
  metrics?: Metrics;
  /** The optional Sentry-compatible error hook (SENTRY_DSN): told of every 500. */
  errorReporter?: ErrorReporter;
};

export function sessionPolicy(config: Config, keys: TokenKeys): SessionPolicy {
  return { keys, refreshTtlDays: config.refreshTokenTtlDays };
}
