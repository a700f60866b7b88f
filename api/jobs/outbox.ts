// The transactional outbox. A job is inserted by pg-boss through the scope's own transaction
// (pg-boss's `db` option with the knex adapter), as edify_app, so it commits or rolls back with
// the change that caused it: a request that fails enqueues nothing, and a committed one cannot
// lose its email to a crash. The insert NOTIFYs in the same transaction, so a worker in any
// process wakes as soon as the transaction commits (and not before).
//
// Job data carries the school (tenant_id); handlers run inside that school's tenant session
// (api/jobs/worker.ts). Email data is sealed with the secret box: links in it carry tokens, and
// nothing readable in pgboss.job should let someone reset a password.
import { fromKnex, type SendOptions } from 'pg-boss';
import type { SecretBox } from '../auth/secret-box.ts';
import type { MailMessage } from '../mail/mailer.ts';
import type { Scope } from '../scope.ts';
import type { Jobs, QueueName } from './jobs.ts';

export type Outbox = { jobs: Jobs; box: SecretBox };

export type EmailJob = {
  tenant_id: string | null;
  to: string;
  template: MailMessage['template'];
  /** JSON of the template data, sealed (api/auth/secret-box.ts). */
  sealed: string;
  /** Non-essential mail (notifications): gets a preferences link and List-Unsubscribe. */
  preferences?: boolean;
};

/** Inserts a job in the scope's transaction; returns its id (null when a singleton key matched). */
export async function enqueue(
  scope: Pick<Scope, 'db' | 'tenant' | 'outbox'>,
  queue: QueueName,
  data: Record<string, unknown>,
  options: Omit<SendOptions, 'db'> = {},
): Promise<string | null> {
  if (!scope.outbox) throw new Error('This scope cannot enqueue jobs (no outbox)');
  const { jobs } = scope.outbox;
  return jobs.boss.send(jobs.name(queue), { ...data, tenant_id: scope.tenant.id }, { ...options, db: fromKnex(scope.db) });
}

/** Queues one email in the scope's transaction. The school's name, colour and logo are read
 * when it is sent; a school suspended or deleted by then gets nothing. */
export async function enqueueMail(
  scope: Pick<Scope, 'db' | 'tenant' | 'outbox'>,
  message: Pick<MailMessage, 'to' | 'template' | 'data'>,
  options: { preferences?: boolean; singletonKey?: string } = {},
): Promise<string | null> {
  if (!scope.outbox) throw new Error('This scope cannot enqueue jobs (no outbox)');
  const job: Omit<EmailJob, 'tenant_id'> = {
    to: message.to,
    template: message.template,
    sealed: scope.outbox.box.seal(JSON.stringify(message.data)),
    ...(options.preferences ? { preferences: true } : {}),
  };
  return enqueue(scope, 'email', job, options.singletonKey ? { singletonKey: options.singletonKey } : {});
}
