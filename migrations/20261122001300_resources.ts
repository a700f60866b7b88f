// Class resources (links and file references), grouped in ordered topics. A resource's topic
// must belong to the same class: the foreign key includes class_id, so the database refuses a
// topic of another class even if the service forgot to check.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'resource_topics', (t) => {
    t.uuid('class_id').notNullable();
    t.text('title').notNullable();
    t.integer('position').notNullable();
    // No foreign key to users, as with invitations.invited_by: what a teacher posted outlives them.
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    // The target of resources' (tenant_id, class_id, topic_id) reference.
    t.unique(['tenant_id', 'class_id', 'id']);
    t.index(['tenant_id', 'class_id', 'position', 'id']);
  });
  await knex.raw('alter table resource_topics add constraint resource_topics_position check (position >= 0)');

  await createTenantTable(knex, 'resources', (t) => {
    t.uuid('class_id').notNullable();
    t.uuid('topic_id');
    t.text('title').notNullable();
    t.text('description');
    t.text('kind').notNullable();
    t.text('url');
    t.jsonb('attachment');
    t.integer('position').notNullable();
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    t.index(['tenant_id', 'class_id', 'topic_id', 'position', 'id']);
    t.index(['tenant_id', 'topic_id']);
  });
  await knex.raw(`alter table resources add constraint resources_kind check (
    (kind = 'link' and url is not null and attachment is null) or (kind = 'file' and attachment is not null and url is null))`);
  await knex.raw('alter table resources add constraint resources_position check (position >= 0)');
  // Deleting a topic leaves its resources in the class, ungrouped (only topic_id is cleared;
  // tenant_id and class_id are part of other keys).
  await knex.raw(`alter table resources add constraint resources_topic_fk foreign key (tenant_id, class_id, topic_id)
    references resource_topics (tenant_id, class_id, id) on delete set null (topic_id)`);
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'resources');
  await dropTenantTable(knex, 'resource_topics');
}
