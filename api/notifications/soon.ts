// "Tell them now": homework published for now, work returned, a quiz opened. The notifications
// themselves come from the school's notification sweep (api/notifications/jobs.ts,
// notificationsTick), which the 5-minute tick also runs; this queues that sweep in the same
// transaction as the change, so the student hears within seconds instead of minutes, and a
// rolled-back change queues nothing. Each notification's dedupe key keeps the sweep and the tick
// from telling anyone twice. A scope without an outbox (a test's hand-built scope) leaves it to
// the tick.
//
// One sweep per school per slot of SLOT_SECONDS (pg-boss's singleton slots): a teacher returning
// thirty hand-ins one by one queues two or three sweeps, not thirty. The first change of a slot
// queues a sweep that runs at once; later ones go to the next slot's sweep, which starts after
// them (`singletonNextSlot`), so nobody waits more than about two slots.
import { enqueue } from '../jobs/outbox.ts';
import type { Scope } from '../scope.ts';

export const SLOT_SECONDS = 2;

export async function tellSoon(scope: Scope): Promise<void> {
  if (!scope.outbox) return;
  await enqueue(scope, 'notify', {}, { singletonKey: scope.tenant.id, singletonSeconds: SLOT_SECONDS, singletonNextSlot: true });
}
