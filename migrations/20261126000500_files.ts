// Uploaded files (api/files/): one row per stored object. The bytes live in storage (local disk
// or S3) under a random key prefixed with the school's id; this row says what they are, who sent
// them, whether the scanner passed them, and which record (homework, submission, resource,
// notice) they are attached to. Usage per school is the sum of size_bytes of the files kept.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'files', (t) => {
    // No foreign key to users, as with resources.created_by: handed-in work outlives the account.
    t.uuid('uploaded_by');
    t.text('purpose').notNullable();
    t.text('name').notNullable();
    t.text('content_type').notNullable();
    t.bigInteger('size_bytes').notNullable();
    t.text('sha256').notNullable();
    t.text('storage_key').notNullable();
    t.text('status').notNullable();
    t.text('scan_result');
    t.timestamp('scanned_at', { useTz: true });
    // What it is attached to; no foreign key (four possible tables): cleanupFiles() removes files
    // whose record is gone.
    t.text('attached_kind');
    t.uuid('attached_id');
    t.uuid('class_id');
    t.timestamp('attached_at', { useTz: true });
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['tenant_id', 'storage_key']);
    t.index(['tenant_id', 'attached_kind', 'attached_id']);
    t.index(['tenant_id', 'status', 'created_at']);
  });
  await knex.raw(`alter table files add constraint files_status check (status in ('pending', 'clean', 'rejected', 'unscanned'))`);
  await knex.raw(`alter table files add constraint files_purpose check (purpose in ('documents', 'images', 'media'))`);
  await knex.raw(`alter table files add constraint files_size check (size_bytes >= 0)`);
  await knex.raw(`alter table files add constraint files_attached check (
    (attached_kind is null and attached_id is null and attached_at is null)
    or (attached_kind in ('homework', 'submission', 'resource', 'notice') and attached_id is not null and attached_at is not null))`);
  // Notices carry attachments like homework does (links, or files by id).
  await knex.schema.alterTable('notices', (t) => {
    t.jsonb('attachments').notNullable().defaultTo('[]');
  });
  await knex.raw(`alter table notices add constraint notices_attachments check (jsonb_typeof(attachments) = 'array')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('notices', (t) => {
    t.dropColumn('attachments');
  });
  await dropTenantTable(knex, 'files');
}
