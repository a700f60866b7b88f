// The first tenant tables. Emails are unique per school, never globally: a global unique index
// would tell one school that another school's address exists.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'users', (t) => {
    t.text('email').notNullable();
    t.text('first_name').notNullable();
    t.text('last_name').notNullable();
    t.text('role').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.text('password_hash');
    t.timestamp('last_login_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table users add constraint users_role check (role in ('admin', 'teacher', 'student'))`);
  await knex.raw(`alter table users add constraint users_status check (status in ('active', 'deactivated'))`);
  await knex.raw('create unique index users_tenant_email on users (tenant_id, lower(email))');
  await knex.raw('create index users_tenant_name on users (tenant_id, last_name, first_name, id)');

  await createTenantTable(knex, 'classes', (t) => {
    t.text('name').notNullable();
    t.text('subject');
    t.text('grade_level');
    t.text('description');
    t.date('term_start');
    t.date('term_end');
    t.text('join_code').notNullable();
    t.boolean('join_code_enabled').notNullable().defaultTo(true);
    t.timestamp('archived_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'join_code']);
    t.index(['tenant_id', 'name', 'id']);
  });

  // One row per person per class; `role` says whether they teach it or take it.
  await createTenantTable(knex, 'enrollments', (t) => {
    t.uuid('class_id').notNullable();
    t.uuid('user_id').notNullable();
    t.text('role').notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    tenantReference(t, 'user_id', 'users', 'CASCADE');
    t.unique(['tenant_id', 'class_id', 'user_id']);
  });
  await knex.raw(`alter table enrollments add constraint enrollments_role check (role in ('teacher', 'student'))`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'enrollments');
  await dropTenantTable(knex, 'classes');
  await dropTenantTable(knex, 'users');
}
