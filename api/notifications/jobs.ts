// Job handlers for notifications (api/jobs/worker.ts runs them).

import type { WorkerDeps } from '../jobs/worker.ts';
import type { Scope } from '../scope.ts';

/** A notice became visible (api/notices/fan-out.ts queued this job with its deliveries). */
export async function noticeJob(_deps: WorkerDeps, _data: { tenant_id: string; notice_id: string }): Promise<void> {}

export async function notifyJob(_deps: WorkerDeps, _data: { tenant_id: string }): Promise<void> {}

/** Timed notification work for one school (reminders, digests); counts by kind. */
export async function notificationsTick(_scope: Scope): Promise<Record<string, number>> {
  return {};
}
