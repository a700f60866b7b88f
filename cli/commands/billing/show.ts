import { Args } from '@oclif/core';
import { loadPlans } from '../../../api/billing/plans.ts';
import { billingSummary } from '../../../api/billing/support.ts';
import { EdifyCommand } from '../../base.ts';

export default class BillingShow extends EdifyCommand {
  static override summary = 'A school’s plan, subscription status, access and seats';
  static override args = { slug: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(BillingShow);
    const config = this.loadConfig();
    const plans = loadPlans(config.plansFile);
    const result = await this.inSchool(config, args.slug, { writes: false }, (scope) => billingSummary(scope, config.billingGraceDays, plans));
    this.log(`${result.slug}: plan ${result.plan ?? 'none'}, ${result.status}, access ${result.access}`);
    if (result.notice) this.log(`  ${result.notice}`);
    this.log(
      `  seats ${result.seats.used}/${result.seats.limit ?? 'unlimited'}; Stripe ${result.stripe_customer_id ?? '-'} ${result.stripe_subscription_id ?? '-'}`,
    );
    return result;
  }
}
