// A copy of a large class's course runs as a background job (api/courses/copy-job.ts); this row is
// what the teacher polls: queued → running (steps done of steps) → done (the new class) or failed.
// The copy itself is still one transaction in the job; the row is updated in short transactions
// of its own, so its progress is visible while the copy runs.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'course_copies', (t) => {
    t.uuid('source_class_id').notNullable();
    t.uuid('requested_by').notNullable();
    t.text('name').notNullable();
    t.text('status').notNullable().defaultTo('queued');
    t.integer('steps_done').notNullable().defaultTo(0);
    t.integer('steps_total').notNullable().defaultTo(0);
    t.text('step');
    t.uuid('target_class_id');
    t.jsonb('counts');
    t.text('error');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'source_class_id', 'classes', 'CASCADE');
    tenantReference(t, 'requested_by', 'users', 'CASCADE');
  });
  await knex.raw(`alter table course_copies add constraint course_copies_target foreign key (tenant_id, target_class_id)
    references classes (tenant_id, id) on delete set null (target_class_id)`);
  await knex.raw('create index course_copies_target on course_copies (tenant_id, target_class_id)');
  await knex.raw(`alter table course_copies add constraint course_copies_status check (status in ('queued', 'running', 'done', 'failed'))`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'course_copies');
}
