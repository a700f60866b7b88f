import { Args, Flags } from '@oclif/core';
import { loadPlans, planById } from '../../../api/billing/plans.ts';
import { createTenant } from '../../../api/platform/provision.ts';
import { EdifyCommand } from '../../base.ts';

export default class TenantCreate extends EdifyCommand {
  static override summary = 'Create a school and its first admin';
  static override description =
    'Creates the school on its own subdomain and its first admin in one transaction. Without --admin-password a one-time password is generated and printed once.';
  static override examples = ['<%= config.bin %> tenant:create lincoln --name "Lincoln Elementary" --admin-email a@lincoln.test'];
  static override args = { slug: Args.string({ required: true, description: 'Subdomain: 3–63 lowercase letters, digits, hyphens' }) };
  static override flags = {
    name: Flags.string({ required: true, description: 'The school’s name' }),
    'admin-email': Flags.string({ required: true, description: 'Email of the first admin' }),
    'admin-password': Flags.string({ description: 'Password for the first admin (10+ characters); generated when left out' }),
    'admin-first-name': Flags.string({ default: 'School' }),
    'admin-last-name': Flags.string({ default: 'Admin' }),
    timezone: Flags.string({ default: 'UTC', description: 'IANA time zone, e.g. America/Chicago' }),
    plan: Flags.string({ description: 'Start a free trial on this plan (see EDIFY_PLANS_FILE); without it the school is not billed through Stripe' }),
  };

  async run() {
    const { args, flags } = await this.parse(TenantCreate);
    const config = this.loadConfig();
    const dbs = await this.database(config);
    const plan = flags.plan ? planById(loadPlans(config.plansFile), flags.plan) : undefined;
    if (flags.plan && !plan)
      this.error(
        `Unknown plan "${flags.plan}": use one of ${loadPlans(config.plansFile)
          .map((p) => p.id)
          .join(', ')}.`,
        { exit: 1 },
      );
    const { tenant, admin, generatedPassword } = await createTenant(
      dbs.owner,
      {
        slug: args.slug,
        name: flags.name,
        timezone: flags.timezone,
        ...(plan ? { plan: { id: plan.id, seat_limit: plan.seat_limit, trialDays: config.trialDays } } : {}),
        admin: { email: flags['admin-email'], first_name: flags['admin-first-name'], last_name: flags['admin-last-name'], password: flags['admin-password'] },
      },
      this.operator(),
    );
    const url = this.schoolUrl(config, tenant.slug);
    this.log(`Created ${tenant.name} at ${url}`);
    this.log(`Admin: ${admin.email}`);
    if (generatedPassword) this.log(`One-time password (shown only now): ${generatedPassword}`);
    return {
      tenant: {
        id: tenant.id,
        slug: tenant.slug,
        name: tenant.name,
        status: tenant.status,
        timezone: tenant.timezone,
        plan: tenant.plan,
        billing_status: tenant.billing_status,
      },
      url,
      admin: { id: admin.id, email: admin.email },
      ...(generatedPassword ? { admin_password: generatedPassword } : {}),
    };
  }
}
