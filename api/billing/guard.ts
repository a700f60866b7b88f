// Billing's guard (api/access/guards.ts): a school whose trial ended or whose payment lapsed past
// its grace period is read-only. People still sign in and take their work with them; nothing is
// added or changed, whether by a request, an operator's command or a job, unless that work is
// declared as allowed while read-only.
import type { Guard } from '../access/guards.ts';
import { AppError } from '../errors.ts';
import { now } from '../scope.ts';
import { accessOf } from './access.ts';

export const billingReadOnlyGuard: Guard = {
  name: 'billing-read-only',
  entries: ['request', 'cli', 'job'],
  check: ({ scope, writes, allowReadOnly, billingGraceDays, entry }) => {
    if (!writes || allowReadOnly) return;
    const access = accessOf(scope.tenant, billingGraceDays, now(scope));
    if (access.level !== 'read_only') return;
    const why = access.banner ?? 'This school is read-only.';
    throw new AppError(
      'school-read-only',
      entry === 'request'
        ? `${why} Everyone can still sign in and download their work.`
        : `${scope.tenant.slug} is read-only for billing: ${why} Nothing was changed.`,
    );
  },
};
