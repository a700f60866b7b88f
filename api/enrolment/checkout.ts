// Starting a paid enrolment, shared by the API (POST /api/v1/classes/:id/offering/checkout) and the
// offering page's Pay button: hold a place in the request's transaction, then, after it commits,
// ask Stripe for the Checkout Session on the school's connected account and keep its id and URL.
// If Stripe refuses or is away, the place is given back at once.
import type { AppDeps } from '../app-deps.ts';
import { requireBilling } from '../billing/stripe.ts';
import { schoolUrl } from '../config.ts';
import type { Reopen } from '../http/route.ts';
import type { Scope } from '../scope.ts';
import { applicationFee, createCourseCheckout } from './payments.ts';
import { connectedAccount, holdPlace } from './service.ts';

/** Holds the place now; the returned function (run after commit) answers the Checkout URL. A
 * learner with an unfinished checkout is sent back to it. */
export async function startCheckout(scope: Scope, deps: AppDeps, reopen: Reopen, classId: string): Promise<() => Promise<string>> {
  const hold = await holdPlace(scope, classId);
  if (hold.existingUrl) {
    const url = hold.existingUrl;
    return async () => url;
  }
  const account = (await connectedAccount(scope)) as string;
  const billing = requireBilling(deps.billing);
  const tenant = scope.tenant;
  const feePercent = deps.config.coursePlatformFeePercent ?? 5;
  return async () => {
    try {
      const session = await createCourseCheckout(billing, { hold, tenant, classId, account, feePercent, siteUrl: schoolUrl(deps.config, tenant.slug) });
      await reopen((s) =>
        s
          .db('course_payments')
          .where({ id: hold.paymentId })
          .update({ checkout_session_id: session.id, checkout_url: session.url, application_fee: applicationFee(hold.amount, feePercent) }),
      );
      return session.url;
    } catch (error) {
      // Stripe refused or is away: give the place back at once.
      await reopen((s) => s.db('course_payments').where({ id: hold.paymentId, status: 'pending' }).update({ status: 'expired' }));
      throw error;
    }
  };
}
