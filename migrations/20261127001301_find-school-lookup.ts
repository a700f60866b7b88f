// "Find my school" (api/signup/find-school.ts) asks which schools an address has an active account
// in. Users sit behind forced row-level security with exactly one policy, the tenant predicate (the
// catalog test enforces it), so no role that obeys RLS can read them across schools in one scan,
// and an extra "see every school" policy or a BYPASSRLS role is exactly what that rule forbids.
//
// This function does the walk inside the database instead of from the app: one statement, one
// round trip, run as the caller (SECURITY INVOKER) by the app role, entering each active school
// with the same transaction-local app.tenant_id a request sets, so the tenant policy decides what
// it may read, as for any request. It grants nothing new: edify_app can already enter any school
// (that is how every request works); it only saves a round trip per school. Each school costs one
// probe of users_tenant_email. The function's SET clause restores app.tenant_id when it returns.
import type { Knex } from 'knex';
import { APP_ROLE } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function edify_schools_with_address(address text) returns setof uuid
    language plpgsql security invoker
    set search_path = pg_catalog, public
    set app.tenant_id = ''
    as $$
    declare
      school uuid;
    begin
      for school in select t.id from public.tenants t where t.status = 'active' order by t.name, t.id loop
        perform set_config('app.tenant_id', school::text, true);
        if exists (select 1 from public.users u
                    where u.tenant_id = school and lower(u.email) = lower(address) and u.status = 'active') then
          return next school;
        end if;
      end loop;
      return;
    end $$`);
  await knex.raw('revoke all on function edify_schools_with_address(text) from public');
  await knex.raw(`grant execute on function edify_schools_with_address(text) to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists edify_schools_with_address(text)');
}
