// What a school's billing state allows. Never deleted, never locked out: at worst read-only, so
// everyone can still sign in and take their work with them.
import type { Tenant } from '../scope.ts';

export type Access = { level: 'full' | 'read_only'; banner: string | null };

const DAY = 86_400_000;

export function accessOf(tenant: Pick<Tenant, 'billing_status' | 'trial_ends_at' | 'past_due_since'>, graceDays: number, now: Date): Access {
  switch (tenant.billing_status) {
    case 'none':
    case 'active':
      return { level: 'full', banner: null };
    case 'trialing':
    case 'incomplete': {
      const ends = tenant.trial_ends_at ? new Date(tenant.trial_ends_at) : null;
      if (ends && ends <= now) return { level: 'read_only', banner: 'The free trial has ended. An admin can subscribe in Billing to make changes again.' };
      return { level: 'full', banner: ends ? `Free trial until ${ends.toISOString().slice(0, 10)}.` : null };
    }
    case 'past_due': {
      const since = tenant.past_due_since ? new Date(tenant.past_due_since) : now;
      const until = new Date(since.getTime() + graceDays * DAY);
      if (until <= now)
        return { level: 'read_only', banner: 'Payment is overdue, so the school is read-only. An admin can update the payment method in Billing.' };
      return { level: 'full', banner: `A payment failed. Update the payment method before ${until.toISOString().slice(0, 10)} to keep full access.` };
    }
    default:
      return { level: 'read_only', banner: 'The subscription has ended, so the school is read-only. An admin can subscribe again in Billing.' };
  }
}
