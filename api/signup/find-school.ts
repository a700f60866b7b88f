// "Find my school" on the platform site: the address gets one email listing the schools where it
// has an active account, each with its sign-in address (no sign-in token: the email only says
// where to go). Nothing is sent when no school matches (the form cannot be used to send mail to
// strangers), and the route is rate limited per visitor and per address.
//
// The page only queues a `find-school` job (one insert, the same work whatever the address) and
// answers the same words; the worker does the looking up and queues the email. So neither the
// page nor its timing says whether an address belongs to any school, and once the page has
// answered the search is committed to the queue: a crash of the web process cannot lose it (the
// job is retried with backoff, like any other).
//
// Looking across schools: users are behind forced row-level security with one tenant policy, so
// the lookup is one call of edify_schools_with_address() on the app pool, which enters each
// active school in turn inside the database (migrations/20261127001301_find-school-lookup.ts).
// The address is sealed in the job's data (nothing readable in pgboss.job names a person).
import type { Knex } from 'knex';
import type { Job } from 'pg-boss';
import type { SecretBox } from '../auth/secret-box.ts';
import { type Config, schoolUrl } from '../config.ts';
import type { Jobs } from '../jobs/jobs.ts';
import type { EmailJob } from '../jobs/outbox.ts';

export type FoundSchool = { name: string; url: string };

/** Every active school where `email` has an active account, by name: one statement. */
export async function schoolsOf(deps: { dbs: { app: Knex }; config: Config }, email: string): Promise<FoundSchool[]> {
  const address = email.trim().toLowerCase();
  const { rows } = (await deps.dbs.app.raw(
    `select t.name, t.slug from edify_schools_with_address(?) as found(id) join tenants t on t.id = found.id order by t.name, t.id`,
    [address],
  )) as { rows: { name: string; slug: string }[] };
  return rows.map((r) => ({ name: r.name, url: `${schoolUrl(deps.config, r.slug)}/sign-in` }));
}

export type FindSchoolJob = { tenant_id: null; sealed: string };

/** Queues the search (committed when this returns) and nothing else: the page then answers. */
export async function requestSchoolSearch(deps: { jobs?: Jobs | undefined; secretBox: SecretBox }, email: string): Promise<void> {
  if (!deps.jobs) throw new Error('“Find my school” needs the job queue');
  const job: FindSchoolJob = { tenant_id: null, sealed: deps.secretBox.seal(JSON.stringify({ email: email.trim() })) };
  await deps.jobs.send('find-school', job);
}

/** The worker's handler: look the address up, queue the email when a school knows it. The email
 * job takes this job's id, so a retry after the email was queued queues nothing twice. */
export async function findSchoolJob(
  deps: { dbs: { app: Knex }; config: Config; jobs: Jobs; secretBox: SecretBox },
  job: Pick<Job<Record<string, unknown>>, 'id' | 'data'>,
): Promise<void> {
  const { email } = JSON.parse(deps.secretBox.open((job.data as FindSchoolJob).sealed)) as { email: string };
  const schools = await schoolsOf(deps, email);
  if (schools.length === 0) return;
  const mail: EmailJob = { tenant_id: null, to: email, template: 'find-school', sealed: deps.secretBox.seal(JSON.stringify({ schools })) };
  await deps.jobs.send('email', mail, { id: job.id });
}
