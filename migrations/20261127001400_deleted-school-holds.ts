// A deleted school's subdomain stays held for as long as a renamed school's old one
// (REDIRECT_DAYS, api/platform/renames.ts): nobody else can take it, or a look-alike, while old
// emails, bookmarks and a district IdP still point at it (a new owner of the name would receive a
// district's SAML posts and its people's clicks). tenant_slug_redirects becomes the table of held
// subdomains: `school_id` is the school that held it, alive or not (no foreign key any more, so
// its rows outlive a deleted school), and `reason` says why ('renamed' redirects while the school
// lives; 'deleted' only holds).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table tenant_slug_redirects drop constraint tenant_slug_redirects_school_id_foreign');
  await knex.raw(
    `alter table tenant_slug_redirects add column reason text not null default 'renamed' constraint tenant_slug_redirects_reason_check check (reason in ('renamed', 'deleted'))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`delete from tenant_slug_redirects where reason = 'deleted' or school_id not in (select id from tenants)`);
  await knex.raw('alter table tenant_slug_redirects drop column reason');
  await knex.raw(
    'alter table tenant_slug_redirects add constraint tenant_slug_redirects_school_id_foreign foreign key (school_id) references tenants (id) on delete cascade',
  );
}
