// SSO attempts keep a stable reason code next to the reason text (api/sso/reasons.ts), so the
// attempts view and the audit log say why a sign-in failed without storing what the response said.
// Earlier rows keep their text (the views escape it) and get the code `unrecognised`.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sso_attempts', (t) => {
    t.text('reason_code');
  });
  await knex.raw(`update sso_attempts set reason_code = 'unrecognised' where outcome = 'failure'`);
  await knex.raw(`alter table sso_attempts add constraint sso_attempts_reason_code check (reason_code ~ '^[a-z_]{1,40}$')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sso_attempts', (t) => {
    t.dropColumn('reason_code');
  });
}
