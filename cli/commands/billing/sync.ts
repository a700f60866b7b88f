import { Args } from '@oclif/core';
import { loadPlans } from '../../../api/billing/plans.ts';
import { syncFromStripe } from '../../../api/billing/service.ts';
import { createBilling, requireBilling } from '../../../api/billing/stripe.ts';
import { findTenant } from '../../../api/platform/provision.ts';
import { EdifyCommand } from '../../base.ts';

export default class BillingSync extends EdifyCommand {
  static override summary = 'Re-read a school’s subscription from Stripe and fix local state';
  static override args = { slug: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(BillingSync);
    const config = this.loadConfig();
    const billing = requireBilling(createBilling(config));
    const dbs = await this.database(config);
    const tenant = await findTenant(dbs.owner, args.slug);
    const updated = await syncFromStripe(dbs.owner, billing, tenant, loadPlans(config.plansFile), new Date(), config.billingGraceDays);
    this.log(`${updated.slug}: ${tenant.billing_status} → ${updated.billing_status}, plan ${updated.plan ?? 'none'}`);
    return { slug: updated.slug, status: updated.billing_status, plan: updated.plan, seat_limit: updated.seat_limit };
  }
}
