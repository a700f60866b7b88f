// Seats: active and invited teachers and students count against the school's plan (guardians
// and admins are free). tenants.seat_limit is set by the plan; null means no limit.
import { AppError } from '../errors.ts';
import type { Scope } from '../scope.ts';

export const SEAT_ROLES = ['teacher', 'student'] as const;

export async function seatsInUse(scope: Scope): Promise<number> {
  const [row] = await scope.db('users').whereIn('role', SEAT_ROLES).whereIn('status', ['active', 'invited']).count<{ count: string }[]>('* as count');
  return Number(row?.count ?? 0);
}

export async function assertSeatsFor(scope: Scope, adding: number): Promise<void> {
  const limit = scope.tenant.seat_limit;
  if (limit === null || adding <= 0) return;
  const used = await seatsInUse(scope);
  if (used + adding > limit) {
    throw new AppError(
      'seat-limit-reached',
      `This school's plan has ${limit} seats and ${used} are in use, so ${adding === 1 ? 'one more person' : `${adding} more people`} cannot be added. An admin can upgrade the plan, or deactivate people who have left.`,
      { extra: { seat_limit: limit, seats_in_use: used, seats_requested: adding } },
    );
  }
}
