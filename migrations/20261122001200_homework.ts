// Homework per class, who it is assigned to, and students' submissions with their history.
// A homework's state (draft / scheduled / published) is derived from publish_at and the clock,
// never stored, so it cannot go stale. A submission's `status` is stored: it changes only by
// what people do (turn in, grade, return). "assigned" and "missing" are the absence of a row.
// Submissions carry class_id for simple rules; the foreign key includes it, so it always
// matches the homework's class.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'homework', (t) => {
    t.uuid('class_id').notNullable();
    t.text('title').notNullable();
    t.text('instructions').notNullable().defaultTo('');
    // null: ungraded (feedback only).
    t.decimal('points', 6, 2);
    t.timestamp('due_at', { useTz: true }).notNullable();
    t.timestamp('late_until', { useTz: true });
    // null: a draft. In the future: scheduled. Past: published.
    t.timestamp('publish_at', { useTz: true });
    t.boolean('assign_to_all').notNullable().defaultTo(true);
    t.jsonb('attachments').notNullable().defaultTo('[]');
    // No foreign key to users, as with resources.created_by: what a teacher set outlives them.
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    // The target of submissions' (tenant_id, class_id, homework_id) reference.
    t.unique(['tenant_id', 'class_id', 'id']);
    t.index(['tenant_id', 'class_id', 'due_at', 'id']);
  });
  await knex.raw('alter table homework add constraint homework_points check (points is null or (points > 0 and points <= 1000))');
  await knex.raw('alter table homework add constraint homework_late_until check (late_until is null or late_until >= due_at)');
  await knex.raw('alter table homework add constraint homework_publish_at check (publish_at is null or publish_at <= due_at)');
  await knex.raw(`alter table homework add constraint homework_attachments check (jsonb_typeof(attachments) = 'array')`);

  // Only when assign_to_all is false: the chosen students.
  await createTenantTable(knex, 'homework_assignees', (t) => {
    t.uuid('homework_id').notNullable();
    t.uuid('student_id').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'homework_id']).references(['tenant_id', 'id']).inTable('homework').onDelete('CASCADE');
    t.unique(['tenant_id', 'homework_id', 'student_id']);
    // "What is assigned to me" starts from the student.
    tenantReference(t, 'student_id', 'users', 'CASCADE');
    t.index(['tenant_id', 'student_id', 'homework_id']);
  });

  await createTenantTable(knex, 'submissions', (t) => {
    t.uuid('homework_id').notNullable();
    t.uuid('student_id').notNullable();
    t.uuid('class_id').notNullable();
    t.text('status').notNullable();
    t.text('body');
    t.jsonb('attachments').notNullable().defaultTo('[]');
    // null: never turned in (a teacher graded or returned it without work, e.g. a missing 0).
    t.timestamp('submitted_at', { useTz: true });
    t.boolean('late').notNullable().defaultTo(false);
    t.decimal('score', 6, 2);
    t.text('feedback');
    t.timestamp('graded_at', { useTz: true });
    t.timestamp('returned_at', { useTz: true });
    t.uuid('graded_by');
    // How many times it was turned in; earlier versions are in submission_versions.
    t.integer('version').notNullable().defaultTo(0);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id', 'homework_id']).references(['tenant_id', 'class_id', 'id']).inTable('homework').onDelete('CASCADE');
    t.unique(['tenant_id', 'homework_id', 'student_id']);
    tenantReference(t, 'student_id', 'users', 'CASCADE');
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    t.index(['tenant_id', 'student_id', 'homework_id']);
  });
  await knex.raw(`alter table submissions add constraint submissions_status check (status in ('turned_in', 'graded', 'returned'))`);
  await knex.raw(`alter table submissions add constraint submissions_turned_in check (status <> 'turned_in' or submitted_at is not null)`);
  await knex.raw('alter table submissions add constraint submissions_score check (score is null or score >= 0)');
  await knex.raw('alter table submissions add constraint submissions_version check (version >= 0)');
  await knex.raw(`alter table submissions add constraint submissions_attachments check (jsonb_typeof(attachments) = 'array')`);

  // What a submission was before each resubmission, with the grade it had then.
  await createTenantTable(knex, 'submission_versions', (t) => {
    t.uuid('submission_id').notNullable();
    t.integer('version').notNullable();
    t.text('status').notNullable();
    t.text('body');
    t.jsonb('attachments').notNullable().defaultTo('[]');
    t.timestamp('submitted_at', { useTz: true });
    t.boolean('late').notNullable();
    t.decimal('score', 6, 2);
    t.text('feedback');
    t.timestamp('graded_at', { useTz: true });
    t.timestamp('returned_at', { useTz: true });
    t.uuid('graded_by');
    t.timestamp('replaced_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'submission_id']).references(['tenant_id', 'id']).inTable('submissions').onDelete('CASCADE');
    t.unique(['tenant_id', 'submission_id', 'version']);
  });
  await knex.raw(`alter table submission_versions add constraint submission_versions_status check (status in ('turned_in', 'graded', 'returned'))`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'submission_versions');
  await dropTenantTable(knex, 'submissions');
  await dropTenantTable(knex, 'homework_assignees');
  await dropTenantTable(knex, 'homework');
}
