// A school's logo is a file of the file service attached to the school itself
// (attached_kind 'school', attached_id = the school's id; api/school/logo.ts). The logo's file id
// and content hash are kept in the school's settings so every page can show it without a query.
import type { Knex } from 'knex';

const KINDS_BEFORE = `'homework', 'submission', 'resource', 'notice', 'lesson', 'certificate'`;

async function allow(knex: Knex, kinds: string): Promise<void> {
  await knex.raw('alter table files drop constraint files_attached');
  await knex.raw(`alter table files add constraint files_attached check (
    (attached_kind is null and attached_id is null and attached_at is null)
    or (attached_kind in (${kinds}) and attached_id is not null and attached_at is not null))`);
}

export async function up(knex: Knex): Promise<void> {
  await allow(knex, `${KINDS_BEFORE}, 'school'`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`update files set attached_kind = null, attached_id = null, class_id = null, attached_at = null where attached_kind = 'school'`);
  await knex.raw(`update tenants set settings = settings - 'logo'`);
  await allow(knex, KINDS_BEFORE);
}
