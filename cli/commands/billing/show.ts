import { Args } from '@oclif/core';
import { accessOf } from '../../../api/billing/access.ts';
import { loadPlans, planById } from '../../../api/billing/plans.ts';
import { seatsInUse } from '../../../api/users/seats.ts';
import { EdifyCommand } from '../../base.ts';

export default class BillingShow extends EdifyCommand {
  static override summary = 'A school’s plan, subscription status, access and seats';
  static override args = { slug: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(BillingShow);
    const config = this.loadConfig();
    const plans = loadPlans(config.plansFile);
    const result = await this.inSchool(config, args.slug, { writes: false }, async (scope) => {
      const t = scope.tenant;
      const ids = await scope.db('tenants').where({ id: t.id }).first('stripe_customer_id', 'stripe_subscription_id', 'billing_synced_at');
      const access = accessOf(t, config.billingGraceDays, new Date());
      return {
        slug: t.slug,
        plan: planById(plans, t.plan)?.id ?? t.plan,
        status: t.billing_status,
        access: access.level,
        notice: access.banner,
        seats: { used: await seatsInUse(scope), limit: t.seat_limit },
        trial_ends_at: t.trial_ends_at,
        current_period_end: t.current_period_end,
        past_due_since: t.past_due_since,
        stripe_customer_id: ids?.stripe_customer_id ?? null,
        stripe_subscription_id: ids?.stripe_subscription_id ?? null,
        synced_at: ids?.billing_synced_at ?? null,
      };
    });
    this.log(`${result.slug}: plan ${result.plan ?? 'none'}, ${result.status}, access ${result.access}`);
    if (result.notice) this.log(`  ${result.notice}`);
    this.log(
      `  seats ${result.seats.used}/${result.seats.limit ?? 'unlimited'}; Stripe ${result.stripe_customer_id ?? '-'} ${result.stripe_subscription_id ?? '-'}`,
    );
    return result;
  }
}
