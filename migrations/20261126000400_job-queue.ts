// The job queue (pg-boss) lives in its own schema, `pgboss`, owned by the migration role like
// every other table. pg-boss's own worker and maintenance connect as the owner; requests insert
// jobs through their own transaction as edify_app (the transactional outbox, api/jobs/outbox.ts),
// so the app role gets exactly what pg-boss's insert needs and nothing else: it can read the
// queue settings and add a job, and read back only the new job's id. It cannot read job data
// (other schools' jobs), change or delete jobs, or run maintenance.
//
// pg-boss's construction plan is its own transaction (BEGIN … COMMIT, with an advisory lock),
// so this migration runs outside knex's. Later pg-boss versions migrate the schema themselves
// when the worker starts as the owner (api/jobs/jobs.ts, `migrate: true`).
import type { Knex } from 'knex';
import { getConstructionPlans } from 'pg-boss';
import { APP_ROLE } from '../tenants/schema.ts';

export const config = { transaction: false };

export const JOB_SCHEMA = 'pgboss';

export async function up(knex: Knex): Promise<void> {
  const { rows } = await knex.raw('select 1 from information_schema.schemata where schema_name = ?', [JOB_SCHEMA]);
  if (rows.length === 0) await knex.raw(getConstructionPlans(JOB_SCHEMA));
  await grantOutbox(knex);
}

/** What edify_app needs to insert a job inside a request's transaction (pg-boss insertJobs). */
export async function grantOutbox(knex: Knex): Promise<void> {
  await knex.raw(`grant usage on schema ${JOB_SCHEMA} to ${APP_ROLE}`);
  await knex.raw(`grant select on ${JOB_SCHEMA}.queue to ${APP_ROLE}`);
  await knex.raw(`grant insert on ${JOB_SCHEMA}.job, ${JOB_SCHEMA}.job_common to ${APP_ROLE}`);
  // RETURNING id, start_after (the NOTIFY gate) reads these two columns of the new row only.
  await knex.raw(`grant select (id, start_after) on ${JOB_SCHEMA}.job, ${JOB_SCHEMA}.job_common to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop schema if exists ${JOB_SCHEMA} cascade`);
}
