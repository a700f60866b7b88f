// Homework: what a class is asked to do, by when, and for whom. Every read and write goes
// through the ability turned into SQL (api/homework/rules.ts), so a student's list and a
// student's single read obey the same rule: published, assigned to them, in their class.
import type { Action } from '../access/ability.ts';
import { findAccessible } from '../access/find.ts';
import { accessibleBy } from '../access/query.ts';
import { audit } from '../audit/service.ts';
import { findClass, writableClass } from '../classes/service.ts';
import { attachResolved, resolveAttachments } from '../content/attachments.ts';
import { type Page, type PageQuery, paginate } from '../content/pagination.ts';
import { publishInstant, toInstant } from '../content/school-time.ts';
import { conflict, type FieldError, invalid } from '../errors.ts';
import { tellSoon } from '../notifications/soon.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { Homework, HomeworkAssignee, homeworkFields, Submission } from './model.ts';
import type { CreateHomeworkInput, HomeworkState, UpdateHomeworkInput } from './schema.ts';

export type HomeworkWithAssignees = { homework: Homework; assigneeIds: string[] | null };

const accessible = (scope: Scope, action: Action) => accessibleBy(scope.ability, action, 'Homework', homeworkFields(now(scope)));

/** The homework if the ability allows `action` on it: 403 when the person may see it but not do
 * this, 404 when they may not even see it (as findClass does). */
export function findHomework(scope: Scope, id: string, action: Action = 'read'): Promise<Homework> {
  return findAccessible(action, (a) => Homework.query(scope.db).modify(accessible(scope, a)).findOne({ 'homework.id': id }), {
    what: 'The homework',
    cannot: 'You can see this homework but not change it.',
  });
}

export async function listHomework(scope: Scope, classId: string, page: PageQuery & { status?: HomeworkState }): Promise<Page<HomeworkWithAssignees>> {
  await findClass(scope, classId);
  const at = now(scope);
  const query = Homework.query(scope.db).modify(accessible(scope, 'read')).where('homework.class_id', classId);
  if (page.status === 'draft') query.whereNull('homework.publish_at');
  if (page.status === 'scheduled') query.where('homework.publish_at', '>', at);
  if (page.status === 'published') query.where('homework.publish_at', '<=', at);
  const rows = await paginate<Homework>(query, page, {
    sort: 'homework.due_at',
    id: 'homework.id',
    sortOf: (h) => new Date(h.due_at).toISOString(),
    idOf: (h) => h.id,
  });
  const assignees = await assigneesOf(
    scope,
    rows.data.filter((h) => !h.assign_to_all).map((h) => h.id),
  );
  return { next_cursor: rows.next_cursor, data: rows.data.map((h) => ({ homework: h, assigneeIds: h.assign_to_all ? null : (assignees.get(h.id) ?? []) })) };
}

export async function readHomework(scope: Scope, id: string): Promise<HomeworkWithAssignees> {
  const homework = await findHomework(scope, id);
  return withAssignees(scope, homework);
}

async function withAssignees(scope: Scope, homework: Homework): Promise<HomeworkWithAssignees> {
  if (homework.assign_to_all) return { homework, assigneeIds: null };
  return { homework, assigneeIds: (await assigneesOf(scope, [homework.id])).get(homework.id) ?? [] };
}

async function assigneesOf(scope: Scope, homeworkIds: string[]): Promise<Map<string, string[]>> {
  const byHomework = new Map<string, string[]>();
  if (homeworkIds.length === 0 || scope.ability.cannot('update', 'Homework')) return byHomework;
  const rows = await HomeworkAssignee.query(scope.db).whereIn('homework_id', homeworkIds).orderBy('student_id');
  for (const r of rows) byHomework.set(r.homework_id, [...(byHomework.get(r.homework_id) ?? []), r.student_id]);
  return byHomework;
}

type Times = { due_at: Date; late_until: Date | null; publish_at: Date | null };

function resolvePublishAt(scope: Scope, value: string | null): Date | null {
  return value === null ? null : publishInstant(scope, value);
}

/** The order a teacher expects: published, then due, then the late window closes. Blames the
 * field the request changed, so the message points at what to fix. */
function checkTimes(times: Times, sent: { due_at?: unknown; late_until?: unknown; publish_at?: unknown }): void {
  const errors: FieldError[] = [];
  if (times.publish_at && times.publish_at > times.due_at) {
    errors.push(
      sent.publish_at !== undefined && sent.due_at === undefined
        ? { in: 'body', field: 'publish_at', message: 'must not be after due_at' }
        : { in: 'body', field: 'due_at', message: 'must not be before publish_at' },
    );
  }
  if (times.late_until && times.late_until < times.due_at) {
    errors.push(
      sent.late_until !== undefined && sent.late_until !== null
        ? { in: 'body', field: 'late_until', message: 'must not be before due_at' }
        : { in: 'body', field: 'due_at', message: 'must not be after late_until' },
    );
  }
  if (errors.length > 0) throw invalid(errors);
}

/** Every chosen id must be a student enrolled in the class. */
async function checkAssignees(scope: Scope, classId: string, ids: string[]): Promise<void> {
  const enrolled = new Set(await scope.db('enrollments').where({ class_id: classId, role: 'student' }).whereIn('user_id', ids).pluck('user_id'));
  const errors: FieldError[] = ids.flatMap((id, i) =>
    enrolled.has(id) ? [] : [{ in: 'body' as const, field: `assignee_ids.${i}`, message: 'is not a student of this class' }],
  );
  if (errors.length > 0) throw invalid(errors);
}

export async function createHomework(scope: Scope, classId: string, input: CreateHomeworkInput): Promise<HomeworkWithAssignees> {
  await writableClass(scope, classId, 'update');
  const times: Times = {
    due_at: toInstant(scope, input.due_at),
    late_until: input.late_until ? toInstant(scope, input.late_until) : null,
    publish_at: resolvePublishAt(scope, input.publish_at ?? null),
  };
  checkTimes(times, input);
  const assigneeIds = input.assignee_ids ?? null;
  if (assigneeIds) await checkAssignees(scope, classId, assigneeIds);
  const attachments = await resolveAttachments(scope, input.attachments, { kind: 'homework', classId }, 'attachments');
  const at = now(scope);
  const homework = await Homework.query(scope.db).insertAndFetch({
    tenant_id: scope.tenant.id,
    class_id: classId,
    title: input.title,
    instructions: input.instructions,
    points: input.points === null ? null : String(input.points),
    ...times,
    assign_to_all: assigneeIds === null,
    attachments: attachments.stored,
    created_by: actorUserId(scope.actor) ?? null,
    created_at: at,
    updated_at: at,
  });
  if (assigneeIds) await insertAssignees(scope, homework.id, assigneeIds);
  await attachResolved(scope, attachments, { kind: 'homework', id: homework.id, classId });
  await audit(scope, 'homework.created', { type: 'homework', id: homework.id }, { class_id: classId, title: homework.title });
  if (times.publish_at && times.publish_at <= at) await tellSoon(scope);
  return { homework, assigneeIds: assigneeIds ? [...assigneeIds].sort() : null };
}

async function insertAssignees(scope: Scope, homeworkId: string, ids: string[]): Promise<void> {
  await HomeworkAssignee.query(scope.db).insert(ids.map((student_id) => ({ tenant_id: scope.tenant.id, homework_id: homeworkId, student_id })));
}

export async function updateHomework(scope: Scope, id: string, input: UpdateHomeworkInput): Promise<HomeworkWithAssignees> {
  const current = await findHomework(scope, id, 'update');
  await writableClass(scope, current.class_id, 'update');
  const times: Times = {
    due_at: input.due_at !== undefined ? toInstant(scope, input.due_at) : new Date(current.due_at),
    late_until: input.late_until !== undefined ? (input.late_until === null ? null : toInstant(scope, input.late_until)) : current.late_until,
    publish_at: input.publish_at !== undefined ? resolvePublishAt(scope, input.publish_at) : current.publish_at,
  };
  checkTimes(times, input);
  if (input.points !== undefined) await checkPointsFitScores(scope, current.id, input.points);
  if (input.assignee_ids !== undefined && input.assignee_ids !== null) {
    await checkAssignees(scope, current.class_id, input.assignee_ids);
    await checkNobodyWithWorkDropped(scope, current.id, input.assignee_ids);
  }
  const target = { kind: 'homework' as const, id: current.id, classId: current.class_id };
  const attachments = input.attachments === undefined ? undefined : await resolveAttachments(scope, input.attachments, target, 'attachments');
  const { assignee_ids, points, due_at, late_until, publish_at, attachments: _attachments, ...plain } = input;
  const patch: Partial<Homework> = { ...plain, updated_at: now(scope) };
  if (attachments) patch.attachments = attachments.stored;
  if (points !== undefined) patch.points = points === null ? null : String(points);
  if (due_at !== undefined) patch.due_at = times.due_at;
  if (late_until !== undefined) patch.late_until = times.late_until;
  if (publish_at !== undefined) patch.publish_at = times.publish_at;
  if (assignee_ids !== undefined) patch.assign_to_all = assignee_ids === null;
  const updated = await Homework.query(scope.db).patchAndFetchById(current.id, patch);
  if (attachments) await attachResolved(scope, attachments, target);
  if (assignee_ids !== undefined) {
    await HomeworkAssignee.query(scope.db).delete().where({ homework_id: current.id });
    if (assignee_ids) await insertAssignees(scope, current.id, assignee_ids);
  }
  // "Late" means after the due date as it is now: moving the date re-judges work already in.
  if (due_at !== undefined) {
    await scope
      .db('submissions')
      .where({ homework_id: current.id })
      .whereNotNull('submitted_at')
      .update({ late: scope.db.raw('submitted_at > ?', [times.due_at]) });
  }
  await audit(scope, 'homework.updated', { type: 'homework', id: current.id }, { fields: Object.keys(input) });
  // Published now, or now assigned to more students: tell them (the sweep skips anyone told).
  if ((publish_at !== undefined || assignee_ids !== undefined) && times.publish_at && times.publish_at <= now(scope)) await tellSoon(scope);
  return withAssignees(scope, updated);
}

/** Scores already given must still fit the new maximum (or there must be none when it becomes ungraded). */
async function checkPointsFitScores(scope: Scope, homeworkId: string, points: number | null): Promise<void> {
  const row = (await scope.db('submissions').where({ homework_id: homeworkId }).max('score as max').first()) as { max: string | null } | undefined;
  const highest = row?.max === null || row?.max === undefined ? null : Number(row.max);
  if (highest === null) return;
  if (points === null) throw invalid([{ in: 'body', field: 'points', message: 'some students already have scores; clear them before making this ungraded' }]);
  if (highest > points) throw invalid([{ in: 'body', field: 'points', message: `a student already has ${highest}; lower that score first` }]);
}

/** Unassigning a student who has handed in work (or been graded) would hide that work. */
async function checkNobodyWithWorkDropped(scope: Scope, homeworkId: string, keep: string[]): Promise<void> {
  const dropped = await Submission.query(scope.db).where({ homework_id: homeworkId }).whereNotIn('student_id', keep).select('student_id');
  if (dropped.length > 0) {
    throw invalid([
      {
        in: 'body',
        field: 'assignee_ids',
        message: `must keep the students who already have work or a grade for this homework (${dropped.map((s) => s.student_id).join(', ')})`,
      },
    ]);
  }
}

export async function deleteHomework(scope: Scope, id: string): Promise<void> {
  const current = await findHomework(scope, id, 'delete');
  await writableClass(scope, current.class_id, 'update');
  const work = await Submission.query(scope.db).where({ homework_id: current.id }).resultSize();
  if (work > 0) {
    throw conflict(
      'Students already have work or grades for this homework, so it cannot be deleted. Unpublish it instead (PATCH with "publish_at": null) to hide it from students.',
      {
        submissions: work,
      },
    );
  }
  await Homework.query(scope.db).delete().where({ id: current.id });
  await audit(scope, 'homework.deleted', { type: 'homework', id: current.id }, { class_id: current.class_id, title: current.title });
}
