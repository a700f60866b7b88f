// What operators see of a school's billing (edify billing:show): a support query, kept with the feature.
import { now, type Scope } from '../scope.ts';
import { seatsInUse } from '../users/seats.ts';
import { accessOf } from './access.ts';
import { type Plan, planById } from './plans.ts';

/** A school's plan, subscription status, access and seats, and its Stripe ids. */
export async function billingSummary(scope: Scope, graceDays: number, plans: Plan[]) {
  const t = scope.tenant;
  const ids = await scope.db('tenants').where({ id: t.id }).first('stripe_customer_id', 'stripe_subscription_id', 'billing_synced_at');
  const access = accessOf(t, graceDays, now(scope));
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
}
