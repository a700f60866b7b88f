// Guardians: a role of their own, linked to one or more students of the same school. A guardian
// sees what their students see (classes, homework status, grades, notices), read-only.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table users drop constraint users_role');
  await knex.raw(`alter table users add constraint users_role check (role in ('admin', 'teacher', 'student', 'guardian'))`);

  await createTenantTable(knex, 'guardian_links', (t) => {
    t.uuid('guardian_id').notNullable();
    t.uuid('student_id').notNullable();
    t.text('relationship');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'guardian_id', 'users', 'CASCADE');
    tenantReference(t, 'student_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'guardian_id', 'student_id']);
  });
  // Membership lookups start from the student ("whose guardians see this class?").
  await knex.raw('create index guardian_links_student on guardian_links (tenant_id, student_id, guardian_id)');
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'guardian_links');
  await knex.raw(`delete from users where role = 'guardian'`);
  await knex.raw('alter table users drop constraint users_role');
  await knex.raw(`alter table users add constraint users_role check (role in ('admin', 'teacher', 'student'))`);
}
