// Copying a large class's course as a background job (`course-copy`). The request checks who may
// copy, records a course_copies row and queues the job in its own transaction; the job runs the
// same copyCourse() as a small copy, as the person who asked, in ONE transaction (all or
// nothing), and reports each finished step in short transactions of its own, so the teacher's
// status page (GET /api/v1/course-copies/:id, /course-copies/:id) shows progress while it runs.
// Claiming the row (queued → running) makes a redelivered job do nothing; a run that died is
// claimed again after STALE_MS.
import { accessibleBy } from '../access/query.ts';
import { Class } from '../classes/model.ts';
import { AppError, notFound } from '../errors.ts';
import { fileServices } from '../files/service.ts';
import { enqueue } from '../jobs/outbox.ts';
import { inSchool, type WorkerDeps } from '../jobs/worker.ts';
import { type Actor, actAs, actorUserId, now, type Role, type Scope } from '../scope.ts';
import { COPY_STEPS, copyableClass, copyCourse } from './copy.ts';
import { COURSE_FIELDS_ON_CLASS } from './model.ts';

const STALE_MS = 15 * 60_000;

export type CourseCopy = {
  id: string;
  source_class_id: string;
  requested_by: string;
  name: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  steps_done: number;
  steps_total: number;
  step: string | null;
  target_class_id: string | null;
  counts: Record<string, number> | null;
  error: string | null;
  created_at: Date;
  updated_at: Date;
};

export type CourseCopyView = {
  id: string;
  source_class_id: string;
  name: string;
  status: CourseCopy['status'];
  steps_done: number;
  steps_total: number;
  percent: number;
  step: string | null;
  class_id: string | null;
  counts: Record<string, number> | null;
  error: string | null;
};

export function presentCopy(c: CourseCopy): CourseCopyView {
  return {
    id: c.id,
    source_class_id: c.source_class_id,
    name: c.name,
    status: c.status,
    steps_done: c.steps_done,
    steps_total: c.steps_total,
    percent: c.steps_total === 0 ? 0 : Math.round((c.steps_done / c.steps_total) * 100),
    step: c.step,
    class_id: c.target_class_id,
    counts: c.counts,
    error: c.error,
  };
}

/** Queues the copy (after the same checks as a copy in the request); returns the status row. */
export async function queueCourseCopy(scope: Scope, sourceClassId: string, name: string): Promise<CourseCopy> {
  await copyableClass(scope, sourceClassId);
  const requester = actorUserId(scope.actor);
  if (!requester) throw new AppError('forbidden', 'Only a signed-in person can copy a course.');
  const [row] = (await scope
    .db('course_copies')
    .insert({
      tenant_id: scope.tenant.id,
      source_class_id: sourceClassId,
      requested_by: requester,
      name,
      status: 'queued',
      steps_total: COPY_STEPS.length,
      created_at: now(scope),
      updated_at: now(scope),
    })
    .returning('*')) as CourseCopy[];
  if (!row) throw new Error('course copy row vanished');
  await enqueue(scope, 'course-copy', { copy_id: row.id }, { singletonKey: `course-copy:${row.id}` });
  return row;
}

/** A copy's status: for the person who asked, and for whoever builds the source class's course. */
export async function findCopy(scope: Scope, id: string): Promise<CourseCopy> {
  const row = (await scope.db('course_copies').where({ id }).first()) as CourseCopy | undefined;
  if (!row) throw notFound('The copy');
  if (row.requested_by === actorUserId(scope.actor)) return row;
  const builds = await Class.query(scope.db)
    .modify(accessibleBy(scope.ability, 'update', 'Course', COURSE_FIELDS_ON_CLASS))
    .findOne({ 'classes.id': row.source_class_id });
  if (!builds) throw notFound('The copy');
  return row;
}

type Requester = { id: string; role: Role; email: string; first_name: string; last_name: string; status: string };

export async function courseCopyJob(deps: WorkerDeps, data: { tenant_id: string; copy_id: string }): Promise<void> {
  const { tenant_id: tenantId, copy_id: copyId } = data;
  // Claim it: one run at a time, and never again once it has finished.
  const claimed = await inSchool(deps, tenantId, 'course-copy', async (scope) => {
    const stale = new Date(now(scope).getTime() - STALE_MS);
    const rows = (await scope
      .db('course_copies')
      .where({ id: copyId })
      .where((q) => q.where({ status: 'queued' }).orWhere((r) => r.where({ status: 'running' }).where('updated_at', '<', stale)))
      .update({ status: 'running', steps_done: 0, step: null, updated_at: now(scope) })
      .returning('*')) as CourseCopy[];
    const copy = rows[0];
    if (!copy) return undefined;
    const requester = (await scope.db('users').where({ id: copy.requested_by }).first('id', 'role', 'email', 'first_name', 'last_name', 'status')) as
      | Requester
      | undefined;
    return { copy, requester };
  });
  if (!claimed) return;
  const { copy, requester } = claimed;
  const record = (patch: Partial<CourseCopy>) =>
    inSchool(deps, tenantId, 'course-copy', async (scope) => {
      await scope
        .db('course_copies')
        .where({ id: copyId })
        .update({ ...patch, ...(patch.counts ? { counts: JSON.stringify(patch.counts) } : {}), updated_at: now(scope) });
    });
  if (requester?.status !== 'active') {
    await record({ status: 'failed', error: 'The person who asked for this copy can no longer sign in.' });
    return;
  }
  const actor: Actor = {
    type: 'user',
    user: {
      id: requester.id,
      role: requester.role,
      email: requester.email,
      first_name: requester.first_name,
      last_name: requester.last_name,
      sessionId: `job:${copyId}`,
    },
  };
  const { storage } = fileServices(deps.config.files);
  try {
    await inSchool(deps, tenantId, 'course-copy', async (scope) => {
      // As the person who asked: the same checks and audit trail as a copy in the request.
      actAs(scope, actor);
      const result = await copyCourse(scope, storage, copy.source_class_id, copy.name, (step, done) => record({ step, steps_done: done }));
      await scope
        .db('course_copies')
        .where({ id: copyId })
        .update({ status: 'done', target_class_id: result.class_id, counts: JSON.stringify(result.counts), error: null, updated_at: now(scope) });
    });
  } catch (error) {
    // The copy rolled back whole: nothing of it exists. Say why in words the teacher can use.
    const message = error instanceof AppError ? error.message : 'The copy failed; nothing was copied. Try again, or ask your school’s admin.';
    await record({ status: 'failed', error: message, steps_done: 0, step: null });
    if (!(error instanceof AppError)) deps.log.error({ err: error, job: 'course-copy', copy_id: copyId }, 'course copy failed');
  }
}
