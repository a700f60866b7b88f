// Full-text search over classes, homework, resources and notices, in each school's language.
// Each searchable row stores the text-search configuration it was indexed with
// (`search_config`, set on insert from the school's language by a trigger), and a generated
// tsvector built with it: to_tsvector(regconfig, text) is immutable, so the column is a plain
// generated column and stays right on every update. GIN indexes lead with tenant_id (btree_gin),
// so one school's matches are found without touching other schools' postings.
import type { Knex } from 'knex';

/** Searchable tables: weighted text (A: titles, B: bodies, C: the rest). */
const SOURCES: Record<string, { a: string; b: string; c?: string }> = {
  classes: { a: 'name', b: "coalesce(subject, '') || ' ' || coalesce(grade_level, '')", c: 'description' },
  homework: { a: 'title', b: 'instructions' },
  resources: { a: 'title', b: 'description', c: 'url' },
  notices: { a: 'title', b: 'body' },
};

export async function up(knex: Knex): Promise<void> {
  await knex.raw('create extension if not exists btree_gin');
  // The school's language (settings.language, an ISO 639-1 code) as a text-search configuration.
  // Unknown or unset: 'simple' would not stem, so English, the product's default language.
  await knex.raw(`
    create function edify_search_config(school uuid) returns regconfig
    language sql stable parallel safe as $$
      select (case (select settings->>'language' from tenants where id = school)
        when 'es' then 'spanish' when 'fr' then 'french' when 'de' then 'german' when 'pt' then 'portuguese'
        when 'it' then 'italian' when 'nl' then 'dutch' when 'sv' then 'swedish' when 'da' then 'danish'
        when 'nb' then 'norwegian' when 'fi' then 'finnish' else 'english' end)::regconfig
    $$`);
  await knex.raw(`
    create function edify_set_search_config() returns trigger
    language plpgsql as $$
    begin
      new.search_config := edify_search_config(new.tenant_id);
      return new;
    end $$`);
  for (const [table, text] of Object.entries(SOURCES)) {
    const weighted = [
      `setweight(to_tsvector(search_config, coalesce(${text.a}, '')), 'A')`,
      `setweight(to_tsvector(search_config, coalesce(${text.b}, '')), 'B')`,
      ...(text.c ? [`setweight(to_tsvector(search_config, coalesce(${text.c}, '')), 'C')`] : []),
    ].join(' || ');
    await knex.raw(`alter table ?? add column search_config regconfig not null default 'english'`, [table]);
    await knex.raw(`update ?? set search_config = edify_search_config(tenant_id)`, [table]);
    await knex.raw(`alter table ?? add column search tsvector generated always as (${weighted}) stored`, [table]);
    await knex.raw(`create index ?? on ?? using gin (tenant_id, search)`, [`${table}_search`, table]);
    await knex.raw(`create trigger ?? before insert on ?? for each row execute function edify_set_search_config()`, [`${table}_search_config`, table]);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of Object.keys(SOURCES)) {
    await knex.raw('drop trigger if exists ?? on ??', [`${table}_search_config`, table]);
    await knex.raw('drop index if exists ??', [`${table}_search`]);
    await knex.raw('alter table ?? drop column if exists search, drop column if exists search_config', [table]);
  }
  await knex.raw('drop function if exists edify_set_search_config()');
  await knex.raw('drop function if exists edify_search_config(uuid)');
}
