// Grading: a score (0..points) and feedback, a draft until returned to the student. Once work is
// returned, a changed score shows at once and is a regrade, written to the audit log with the
// old and new score. Bulk grading checks every line before writing any (all or nothing).
import { audit } from '../audit/service.ts';
import { writableClass } from '../classes/service.ts';
import { conflict, type FieldError, forbidden, invalid, notFound } from '../errors.ts';
import { tellSoon } from '../notifications/soon.ts';
import { actorUserId, now, type Scope } from '../scope.ts';
import { type Homework, Submission, type SubmissionStatus } from './model.ts';
import { homeworkState, presentSubmission } from './present.ts';
import { type RosterRow, roster } from './roster.ts';
import type { BulkGradeInput, GradeInput, SubmissionView } from './schema.ts';
import { findHomework } from './service.ts';

export async function gradeOne(scope: Scope, homeworkId: string, studentId: string, input: GradeInput): Promise<SubmissionView> {
  const homework = await gradableHomework(scope, homeworkId);
  const rows = await gradableRows(scope, homework, [studentId]);
  const row = rows.get(studentId);
  if (!row)
    throw (await readable(scope, homework, studentId))
      ? forbidden('You can see this work but not grade it.')
      : notFound('That student’s work for this homework');
  const errors = scoreErrors(homework, input, 'score');
  if (errors.length > 0) throw invalid(errors);
  await applyGrade(scope, homework, row, input);
  if (input.return) await tellSoon(scope);
  return regraded(scope, homework, studentId);
}

export async function gradeMany(scope: Scope, homeworkId: string, input: BulkGradeInput): Promise<SubmissionView[]> {
  const homework = await gradableHomework(scope, homeworkId);
  const rows = await gradableRows(
    scope,
    homework,
    input.grades.map((g) => g.student_id),
  );
  const errors = input.grades.flatMap((g, i) => [
    ...(rows.has(g.student_id) ? [] : [{ in: 'body' as const, field: `grades.${i}.student_id`, message: 'is not a student this homework is assigned to' }]),
    ...scoreErrors(homework, g, `grades.${i}.score`),
  ]);
  if (errors.length > 0) throw invalid(errors, 'Nothing was graded: some lines are not valid; see errors.');
  for (const g of input.grades) await applyGrade(scope, homework, rows.get(g.student_id) as RosterRow, g);
  if (input.grades.some((g) => g.return)) await tellSoon(scope);
  const fresh = await roster(scope, homework, 'grade', { studentIds: input.grades.map((g) => g.student_id) }).orderBy([
    'submissions.sort_name',
    'submissions.student_id',
  ]);
  return (fresh as RosterRow[]).map((r) => presentSubmission(scope, homework, r));
}

async function gradableHomework(scope: Scope, homeworkId: string): Promise<Homework> {
  const homework = await findHomework(scope, homeworkId);
  await writableClass(scope, homework.class_id, 'read');
  if (homeworkState(homework, now(scope)) !== 'published') {
    throw conflict('This homework is not published yet, so there is no work to grade. Publish it first.');
  }
  return homework;
}

async function gradableRows(scope: Scope, homework: Homework, studentIds: string[]): Promise<Map<string, RosterRow>> {
  const rows = (await roster(scope, homework, 'grade', { studentIds })) as RosterRow[];
  return new Map(rows.map((r) => [r.student_id, r]));
}

async function readable(scope: Scope, homework: Homework, studentId: string): Promise<boolean> {
  return (await roster(scope, homework, 'read', { studentIds: [studentId] }).first()) !== undefined;
}

function scoreErrors(homework: Homework, input: { score?: number | null }, field: string): FieldError[] {
  if (input.score === undefined || input.score === null) return [];
  if (homework.points === null) return [{ in: 'body', field, message: 'this homework is ungraded (no points): send feedback only' }];
  const max = Number(homework.points);
  return input.score > max ? [{ in: 'body', field, message: `must be at most ${max}, the homework’s points` }] : [];
}

const scoreOf = (value: string | number | null | undefined) => (value === null || value === undefined ? null : Number(value));

async function applyGrade(scope: Scope, homework: Homework, row: RosterRow, input: GradeInput): Promise<void> {
  const at = now(scope);
  const current = row.id ? await Submission.query(scope.db).findById(row.id).forUpdate() : undefined;
  const oldScore = scoreOf(current?.score);
  const newScore = input.score === undefined ? oldScore : input.score;
  // Returned work stays returned: the student already has a grade, and a change to it shows.
  const status: SubmissionStatus = input.return || current?.status === 'returned' ? 'returned' : 'graded';
  const marks = input.score !== undefined || input.feedback !== undefined;
  const patch = {
    status,
    score: newScore === null ? null : String(newScore),
    feedback: input.feedback === undefined ? (current?.feedback ?? null) : input.feedback || null,
    graded_at: marks ? at : (current?.graded_at ?? null),
    graded_by: marks ? (actorUserId(scope.actor) ?? null) : (current?.graded_by ?? null),
    returned_at: input.return ? at : (current?.returned_at ?? null),
    updated_at: at,
  };
  let submissionId = current?.id;
  if (current) await Submission.query(scope.db).patch(patch).where({ id: current.id });
  else {
    // Graded without any work handed in (a missing 0, or feedback): no submission yet.
    const created = await Submission.query(scope.db).insert({
      tenant_id: scope.tenant.id,
      homework_id: homework.id,
      student_id: row.student_id,
      class_id: homework.class_id,
      attachments: [],
      version: 0,
      created_at: at,
      ...patch,
    });
    submissionId = created.id;
  }
  const target = { type: 'submission', id: submissionId as string };
  const details = { homework_id: homework.id, student_id: row.student_id };
  if (current?.returned_at && oldScore !== newScore) {
    await audit(scope, 'submission.regraded', target, { ...details, old_score: oldScore, new_score: newScore, returned: status === 'returned' });
  } else {
    await audit(scope, 'submission.graded', target, { ...details, old_score: oldScore, score: newScore, returned: status === 'returned' });
  }
}

async function regraded(scope: Scope, homework: Homework, studentId: string): Promise<SubmissionView> {
  const row = (await roster(scope, homework, 'grade', { studentIds: [studentId] }).first()) as RosterRow;
  return presentSubmission(scope, homework, row);
}
