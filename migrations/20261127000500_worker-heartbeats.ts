// Worker heartbeats: each running worker (`edify worker`, or the one inside `edify serve`) keeps
// one row fresh every WORKER_HEARTBEAT_SECONDS, so /readyz can say whether any worker has been
// heard from lately (api/jobs/heartbeat.ts). A platform table, not a tenant table: it holds no
// school's data. Workers write as the owner; the app role only reads it (for /readyz).
import type { Knex } from 'knex';
import { APP_ROLE } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('worker_heartbeats', (t) => {
    t.text('worker_id').primary();
    /** The job queue prefix (EDIFY_JOB_PREFIX): deployments sharing a database see only their own workers. */
    t.text('prefix').notNullable().defaultTo('');
    t.text('hostname').notNullable();
    t.integer('pid').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('beat_at', { useTz: true }).notNullable();
    t.index(['prefix', 'beat_at']);
  });
  await knex.raw(`grant select on worker_heartbeats to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('worker_heartbeats');
}
