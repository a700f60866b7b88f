// School admins change their own school's settings (name, time zone, colour, 2FA policy, CORS
// origins) as the app role. RLS on tenants lets the app role read every school (host resolution)
// but update only the school of the current tenant session. Not FORCEd: the owner's platform
// scope (provisioning, suspension) is unaffected.
import type { Knex } from 'knex';
import { APP_ROLE, TENANT_PREDICATE } from '../tenants/schema.ts';

const OWN_ROW = TENANT_PREDICATE.replace('tenant_id', 'id');

export async function up(knex: Knex): Promise<void> {
  await knex.raw('alter table tenants enable row level security');
  await knex.raw(`create policy tenants_readable on tenants for select to ${APP_ROLE} using (true)`);
  await knex.raw(`create policy tenants_own_update on tenants for update to ${APP_ROLE} using (${OWN_ROW}) with check (${OWN_ROW})`);
  await knex.raw(`grant update (name, timezone, settings, updated_at) on tenants to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`revoke update (name, timezone, settings, updated_at) on tenants from ${APP_ROLE}`);
  await knex.raw('drop policy tenants_own_update on tenants');
  await knex.raw('drop policy tenants_readable on tenants');
  await knex.raw('alter table tenants disable row level security');
}
