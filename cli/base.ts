// What every `edify` command shares: --json (oclif prints the command's return value), the
// database connection (embedded when DATABASE_URL is unset, closed when the command ends),
// one-line errors from the catalogue, and confirmation for destructive work.
import { hostname, userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { format } from 'node:util';
import { Command, Flags } from '@oclif/core';
import { runGuards } from '../api/access/guards.ts';
import { createSecretBox, parseEncryptionKeys } from '../api/auth/secret-box.ts';
import { type Config, ConfigError, loadConfig, schoolUrl } from '../api/config.ts';
import { escapeControlsKeepLines } from '../api/content/safe-text.ts';
import { type Databases, describeDatabaseFailure, openDatabases } from '../api/db/connection.ts';
import { AppError } from '../api/errors.ts';
import { type Jobs, openJobs } from '../api/jobs/jobs.ts';
import { findTenant, type Operator, operatorScope } from '../api/platform/provision.ts';
import { runAfterCommit, type Scope } from '../api/scope.ts';
import { beginTenantSession, withPlatform } from '../tenants/session.ts';

export abstract class EdifyCommand extends Command {
  static override enableJsonFlag = true;

  private databases: Databases | undefined;
  private openedJobs: Jobs | undefined;

  // Everything a command prints for people goes through here: control characters (ESC, CR, ...)
  // become visible escapes, so text that came from a school, an IdP or an attacker cannot drive
  // the operator's terminal. Table cells also escape newlines (cli/output.ts); --json output is
  // JSON and escaped already.
  override log(message: unknown = '', ...args: unknown[]): void {
    super.log(escapeControlsKeepLines(format(message, ...args)));
  }

  override logToStderr(message: unknown = '', ...args: unknown[]): void {
    super.logToStderr(escapeControlsKeepLines(format(message, ...args)));
  }

  override warn(input: string | Error): string | Error {
    if (typeof input === 'string') return super.warn(escapeControlsKeepLines(input));
    input.message = escapeControlsKeepLines(input.message);
    return super.warn(input);
  }

  protected loadConfig(): Config {
    try {
      return loadConfig({ LOG_LEVEL: 'warn', ...process.env });
    } catch (error) {
      if (error instanceof ConfigError) this.error(error.message, { exit: 2 });
      throw error;
    }
  }

  protected async database(config: Config): Promise<Databases> {
    this.databases ??= await openDatabases(config, { appPoolMax: 2 });
    return this.databases;
  }

  /** The job queue, as a producer (no handlers run here); closed when the command ends. */
  protected async jobs(config: Config): Promise<Jobs> {
    const dbs = await this.database(config);
    this.openedJobs ??= await openJobs({ ownerUrl: dbs.ownerUrl, prefix: config.jobPrefix, max: 2 });
    return this.openedJobs;
  }

  /** Runs fn as this operator inside one school: the same RLS, services and guards as a request
   * (api/access/guards.ts: a school read-only for billing refuses a writing command unless it is
   * declared allowed then); email and other jobs are queued in the same transaction (the worker
   * sends them). Every command says whether it writes. */
  protected async inSchool<T>(config: Config, slug: string, work: { writes: boolean; allowReadOnly?: boolean }, fn: (scope: Scope) => Promise<T>): Promise<T> {
    const dbs = await this.database(config);
    const tenant = await findTenant(dbs.owner, slug);
    const jobs = await this.jobs(config);
    const box = createSecretBox(parseEncryptionKeys(config.encryptionKeys));
    const tasks: (() => Promise<void>)[] = [];
    const result = await withPlatform(dbs.owner, async (db) => {
      const current = await beginTenantSession(db, { id: tenant.id });
      const scope: Scope = { ...operatorScope(db, current, this.operator()), afterCommit: tasks, outbox: { jobs, box } };
      runGuards({ scope, entry: 'cli', ...work, billingGraceDays: config.billingGraceDays });
      return fn(scope);
    });
    await runAfterCommit(tasks, (error) => this.warn(`Sending an email failed: ${String(error)}`));
    return result;
  }

  protected operator(): Operator {
    return { label: process.env.EDIFY_OPERATOR ?? `${userInfo().username}@${hostname()}`, via: 'cli' };
  }

  protected schoolUrl(config: Config, slug: string): string {
    return schoolUrl(config, slug);
  }

  /** Destructive commands ask first; --yes (or a non-interactive run with --yes) skips it. */
  protected async confirm(question: string, expected: string, yes: boolean): Promise<void> {
    if (yes) return;
    if (!process.stdin.isTTY) this.error(`${question} Pass --yes to confirm when not running interactively.`, { exit: 1 });
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`${question} Type "${expected}" to confirm: `);
    rl.close();
    if (answer.trim() !== expected) this.error('Not confirmed; nothing was changed.', { exit: 1 });
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    error.message = escapeControlsKeepLines(error.message);
    // A database the command cannot use at all: what to do about it, not a driver's stack (the
    // request-side "cannot be reached right now" carries the driver's error as its cause).
    const database = describeDatabaseFailure(error instanceof AppError && error.code === 'database-unavailable' ? error.cause : error);
    if (database) return super.catch(Object.assign(new Error(database), { oclif: { exit: 1 } }));
    if (error instanceof AppError) {
      const fields = error.errors?.map((e) => `${e.field} ${e.message}`).join('; ');
      const message = fields && error.message.endsWith('see errors.') ? `Not valid: ${fields}` : error.message;
      // No `code` property: oclif would print it on a second line.
      return super.catch(Object.assign(new Error(message), { oclif: { exit: 1 } }));
    }
    return super.catch(error);
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    await this.openedJobs?.stop(0);
    await this.databases?.close();
    return super.finally(error);
  }
}

export const yesFlag = Flags.boolean({ char: 'y', description: 'Do not ask for confirmation.', default: false });
