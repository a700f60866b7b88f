// Where each student stands in a class's course, computed when asked from three sources: their
// own progress events (lesson_progress: the latest event by its occurred_at wins, whatever order
// events arrive in; an event id counts once), the linked quiz passed (the counted attempt, fully
// graded, at the pass percentage), and the linked homework handed in. Evaluated on read, so a
// regrade or a late hand-in is reflected without a hook having to fire; the quiz and homework
// services call courseActivity() after a submission only so that completion (a certificate) is
// noticed at once.
// Locks: a unit with a gate quiz opens once that quiz is passed with gate_percent; a lesson with a
// prerequisite opens once that lesson is complete. Locks apply to students; a locked lesson is a
// 403 with the reason on every route that would show it (API, page, its files, progress).

import { accessibleBy } from '../access/query.ts';
import { AppError, forbidden, notFound } from '../errors.ts';
import { now, type Scope } from '../scope.ts';
import { issueCertificate } from './certificates.ts';
import { type Course, type CourseLesson, type CourseUnit, PROGRESS_FIELDS } from './model.ts';
import type { CourseView, LessonView, ProgressEventInput, StudentProgressView } from './schema.ts';
import { buildsCourse, courseClass, courseOf, courseTree, lessonRow, presentLesson, presentLessonSummary, released, releaseState } from './service.ts';

type Tree = { unit: CourseUnit; lessons: CourseLesson[] }[];

/** One student's standing: lessons they marked complete, quiz percentages, homework handed in. */
type Standing = { marked: Set<string>; quizPercent: Map<string, number>; handedIn: Set<string> };
export type Lock = { locked: boolean; reason: 'prerequisite' | 'unit_gate' | null; explanation: string | null };
const OPEN: Lock = { locked: false, reason: null, explanation: null };

async function standings(scope: Scope, tree: Tree, studentIds: string[]): Promise<Map<string, Standing>> {
  const result = new Map<string, Standing>(studentIds.map((id) => [id, { marked: new Set(), quizPercent: new Map(), handedIn: new Set() }]));
  const lessons = tree.flatMap((t) => t.lessons);
  if (studentIds.length === 0) return result;
  const lessonIds = lessons.map((l) => l.id);
  const quizIds = [
    ...new Set([...lessons.flatMap((l) => (l.quiz_id ? [l.quiz_id] : [])), ...tree.flatMap((t) => (t.unit.gate_quiz_id ? [t.unit.gate_quiz_id] : []))]),
  ];
  const homeworkIds = [...new Set(lessons.flatMap((l) => (l.homework_id ? [l.homework_id] : [])))];
  if (lessonIds.length > 0) {
    const rows: { lesson_id: string; student_id: string }[] = await scope
      .db('lesson_progress')
      .whereIn('lesson_id', lessonIds)
      .whereIn('student_id', studentIds)
      .where('completed', true)
      .select('lesson_id', 'student_id');
    for (const r of rows) result.get(r.student_id)?.marked.add(r.lesson_id);
  }
  if (quizIds.length > 0) {
    const rows: { quiz_id: string; student_id: string; score: string | null; points_possible: string }[] = await scope
      .db('quiz_attempts as a')
      .join('quizzes as q', (j) => j.on('q.tenant_id', 'a.tenant_id').andOn('q.id', 'a.quiz_id'))
      .whereIn('a.quiz_id', quizIds)
      .whereIn('a.student_id', studentIds)
      .where({ 'a.counted': true, 'a.needs_grading': false })
      .select('a.quiz_id', 'a.student_id', 'a.score', 'q.points_possible');
    for (const r of rows) {
      const possible = Number(r.points_possible);
      result.get(r.student_id)?.quizPercent.set(r.quiz_id, possible > 0 ? (Number(r.score ?? 0) / possible) * 100 : 100);
    }
  }
  if (homeworkIds.length > 0) {
    const rows: { homework_id: string; student_id: string }[] = await scope
      .db('submissions')
      .whereIn('homework_id', homeworkIds)
      .whereIn('student_id', studentIds)
      .whereNotNull('submitted_at')
      .select('homework_id', 'student_id');
    for (const r of rows) result.get(r.student_id)?.handedIn.add(r.homework_id);
  }
  return result;
}

const passed = (st: Standing, quizId: string, percent: number) => {
  const got = st.quizPercent.get(quizId);
  return got !== undefined && got + 1e-9 >= percent;
};

function lessonComplete(course: Course, lesson: CourseLesson, st: Standing): boolean {
  if (st.marked.has(lesson.id)) return true;
  if (lesson.quiz_id && passed(st, lesson.quiz_id, lesson.pass_percent ?? course.pass_percent ?? 0)) return true;
  if (lesson.homework_id && st.handedIn.has(lesson.homework_id)) return true;
  return false;
}

async function quizTitles(scope: Scope, tree: Tree): Promise<Map<string, string>> {
  const ids = tree.flatMap((t) => (t.unit.gate_quiz_id ? [t.unit.gate_quiz_id] : []));
  if (ids.length === 0) return new Map();
  const rows: { id: string; title: string }[] = await scope.db('quizzes').whereIn('id', ids).select('id', 'title');
  return new Map(rows.map((r) => [r.id, r.title]));
}

type Evaluated = { unitLocks: Map<string, Lock>; lessonLocks: Map<string, Lock>; complete: Set<string> };

function evaluate(course: Course, tree: Tree, st: Standing, titles: Map<string, string>): Evaluated {
  const complete = new Set(tree.flatMap((t) => t.lessons.filter((l) => lessonComplete(course, l, st)).map((l) => l.id)));
  const byId = new Map(tree.flatMap((t) => t.lessons.map((l) => [l.id, l] as const)));
  const unitLocks = new Map<string, Lock>();
  const lessonLocks = new Map<string, Lock>();
  for (const { unit, lessons } of tree) {
    const gate = unit.gate_quiz_id;
    const percent = unit.gate_percent ?? 0;
    const unitLock: Lock =
      gate && !passed(st, gate, percent)
        ? {
            locked: true,
            reason: 'unit_gate',
            explanation: `This unit opens when you pass the quiz “${titles.get(gate) ?? 'quiz'}”${percent > 0 ? ` with at least ${percent}%` : ''}.`,
          }
        : OPEN;
    unitLocks.set(unit.id, unitLock);
    for (const lesson of lessons) {
      const before = lesson.prerequisite_lesson_id ? byId.get(lesson.prerequisite_lesson_id) : undefined;
      lessonLocks.set(
        lesson.id,
        unitLock.locked
          ? unitLock
          : before && !complete.has(before.id)
            ? { locked: true, reason: 'prerequisite', explanation: `This lesson opens when you finish “${before.title}”.` }
            : OPEN,
      );
    }
  }
  return { unitLocks, lessonLocks, complete };
}

/** Every released lesson complete and, when the course asks, every linked quiz passed at its percentage. */
function courseComplete(course: Course, tree: Tree, st: Standing, complete: Set<string>): boolean {
  const lessons = tree.flatMap((t) => t.lessons);
  if (lessons.length === 0 || lessons.some((l) => !complete.has(l.id))) return false;
  if (course.pass_percent !== null) {
    const quizzes = new Set([
      ...lessons.flatMap((l) => (l.quiz_id ? [l.quiz_id] : [])),
      ...tree.flatMap((t) => (t.unit.gate_quiz_id ? [t.unit.gate_quiz_id] : [])),
    ]);
    for (const q of quizzes) if (!passed(st, q, course.pass_percent)) return false;
  }
  return true;
}

const studentOf = (scope: Scope) => (scope.actor.type === 'user' && scope.actor.user.role === 'student' ? scope.actor.user.id : undefined);

// ── Reading the course and its lessons ───────────────────────────────────────────────────────

export async function readCourse(scope: Scope, classId: string): Promise<CourseView> {
  const klass = await courseClass(scope, classId);
  const course = await courseOf(scope, classId);
  if (!course) return { id: null, class_id: classId, title: klass.name, pass_percent: null, certificates: true, version: 0, units: [] };
  const builds = await buildsCourse(scope, classId);
  const tree = await courseTree(scope, course, builds);
  const at = now(scope);
  const student = studentOf(scope);
  let evaluated: Evaluated | undefined;
  if (student) {
    const st = (await standings(scope, tree, [student])).get(student) as Standing;
    evaluated = evaluate(course, tree, st, await quizTitles(scope, tree));
  }
  return {
    id: course.id,
    class_id: classId,
    title: course.title ?? klass.name,
    pass_percent: course.pass_percent,
    certificates: course.certificates,
    version: course.version,
    units: tree.map(({ unit, lessons }) => ({
      id: unit.id,
      position: unit.position,
      title: unit.title,
      summary: unit.summary,
      state: releaseState(unit.publish_at, at),
      publish_at: unit.publish_at ? new Date(unit.publish_at).toISOString() : null,
      gate_quiz_id: unit.gate_quiz_id,
      gate_percent: unit.gate_percent,
      version: unit.version,
      ...(evaluated ? { lock: evaluated.unitLocks.get(unit.id) ?? OPEN } : {}),
      lessons: lessons.map((l) => ({
        ...presentLessonSummary(l, at),
        ...(evaluated ? { completed: evaluated.complete.has(l.id), lock: evaluated.lessonLocks.get(l.id) ?? OPEN } : {}),
      })),
    })),
  };
}

/** A lesson as this person may open it: builders any; others released ones (404 otherwise); a
 * student an unlocked one (403 with the reason otherwise). */
export async function openLesson(scope: Scope, id: string): Promise<{ lesson: CourseLesson; course: Course; tree: Tree }> {
  const lesson = await lessonRow(scope, id);
  try {
    await courseClass(scope, lesson.class_id);
  } catch (error) {
    if (error instanceof AppError && (error.code === 'not-found' || error.code === 'forbidden')) throw notFound('The lesson');
    throw error;
  }
  const course = (await courseOf(scope, lesson.class_id)) as Course;
  const builds = await buildsCourse(scope, lesson.class_id);
  const tree = await courseTree(scope, course, builds);
  if (builds) return { lesson, course, tree };
  const unit = tree.find((t) => t.unit.id === lesson.unit_id);
  if (!unit || !released(lesson, now(scope)) || !unit.lessons.some((l) => l.id === lesson.id)) throw notFound('The lesson');
  const student = studentOf(scope);
  if (student) {
    const st = (await standings(scope, tree, [student])).get(student) as Standing;
    const lock = evaluate(course, tree, st, await quizTitles(scope, tree)).lessonLocks.get(lesson.id) ?? OPEN;
    if (lock.locked) throw new AppError('forbidden', `This lesson is locked. ${lock.explanation}`, { extra: { lock } });
  }
  return { lesson, course, tree };
}

export async function readLesson(scope: Scope, id: string): Promise<LessonView & { completed?: boolean }> {
  const { lesson, course, tree } = await openLesson(scope, id);
  const view = presentLesson(lesson, now(scope));
  const student = studentOf(scope);
  if (!student) return view;
  const st = (await standings(scope, tree, [student])).get(student) as Standing;
  return { ...view, completed: lessonComplete(course, lesson, st), lock: OPEN };
}

// ── Progress events ──────────────────────────────────────────────────────────────────────────

/** A student's progress event for an open lesson. The same event_id again changes nothing; an
 * event older than the one that set the current state (by occurred_at) is kept but loses. */
export async function recordProgress(scope: Scope, lessonId: string, input: ProgressEventInput): Promise<{ completed: boolean; duplicate: boolean }> {
  const student = studentOf(scope);
  if (!student || scope.ability.cannot('submit', 'CourseProgress')) {
    await openLesson(scope, lessonId);
    throw forbidden('Only the class’s students record their own progress.');
  }
  const { lesson, course } = await openLesson(scope, lessonId);
  const occurredAt = input.occurred_at ? new Date(input.occurred_at) : now(scope);
  const inserted = await scope
    .db('lesson_progress_events')
    .insert({
      tenant_id: scope.tenant.id,
      lesson_id: lesson.id,
      class_id: lesson.class_id,
      student_id: student,
      event_id: input.event_id,
      completed: input.completed,
      occurred_at: occurredAt,
      received_at: now(scope),
    })
    .onConflict(['tenant_id', 'student_id', 'event_id'])
    .ignore()
    .returning('id');
  if (inserted.length > 0) {
    // Latest by (occurred_at, completed): ties resolve the same whatever the arrival order.
    await scope.db.raw(
      `insert into lesson_progress (tenant_id, lesson_id, class_id, student_id, completed, occurred_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?)
       on conflict (tenant_id, lesson_id, student_id) do update set completed = excluded.completed, occurred_at = excluded.occurred_at, updated_at = excluded.updated_at
       where (excluded.occurred_at, excluded.completed::int) > (lesson_progress.occurred_at, lesson_progress.completed::int)`,
      [scope.tenant.id, lesson.id, lesson.class_id, student, input.completed, occurredAt, now(scope)],
    );
  }
  const row = (await scope.db('lesson_progress').where({ lesson_id: lesson.id, student_id: student }).first('completed')) as { completed: boolean } | undefined;
  await checkCompletion(scope, course, student);
  return { completed: row?.completed ?? false, duplicate: inserted.length === 0 };
}

/** Called by the quiz and homework services after a student's submission in a class. */
export async function courseActivity(scope: Scope, classId: string, studentId: string): Promise<void> {
  const course = await courseOf(scope, classId);
  if (course) await checkCompletion(scope, course, studentId);
}

/** Issues the certificate when the student has completed the course (once: a unique key). */
export async function checkCompletion(scope: Scope, course: Course, studentId: string): Promise<boolean> {
  if (!course.certificates) return false;
  const tree = await courseTree(scope, course, false);
  const st = (await standings(scope, tree, [studentId])).get(studentId) as Standing;
  const { complete } = evaluate(course, tree, st, new Map());
  if (!courseComplete(course, tree, st, complete)) return false;
  await issueCertificate(scope, course, studentId);
  return true;
}

// ── Progress views ───────────────────────────────────────────────────────────────────────────

/** Per student this person may see (teachers: the class; students: themselves; guardians: their
 * linked students), per unit and course, with the first lesson not yet complete. */
export async function courseProgress(scope: Scope, classId: string): Promise<StudentProgressView[]> {
  await courseClass(scope, classId);
  const roster: { user_id: string; first_name: string; last_name: string }[] = await scope
    .db('enrollments as roster')
    .join('users as u', (j) => j.on('u.tenant_id', 'roster.tenant_id').andOn('u.id', 'roster.user_id'))
    .where({ 'roster.class_id': classId, 'roster.role': 'student' })
    .modify(accessibleBy(scope.ability, 'read', 'CourseProgress', PROGRESS_FIELDS))
    .orderBy(['u.last_name', 'u.first_name', 'u.id'])
    .limit(1000)
    .select('roster.user_id', 'u.first_name', 'u.last_name');
  const course = await courseOf(scope, classId);
  if (roster.length === 0) return [];
  const tree = course ? await courseTree(scope, course, false) : [];
  const all = await standings(
    scope,
    tree,
    roster.map((r) => r.user_id),
  );
  const titles = await quizTitles(scope, tree);
  const certificates: { student_id: string; id: string }[] = course
    ? await scope
        .db('certificates')
        .where({ course_id: course.id })
        .whereIn(
          'student_id',
          roster.map((r) => r.user_id),
        )
        .select('student_id', 'id')
    : [];
  const certOf = new Map(certificates.map((c) => [c.student_id, c.id]));
  const total = tree.reduce((n, t) => n + t.lessons.length, 0);
  return roster.map((r) => {
    const st = all.get(r.user_id) as Standing;
    const ev = course ? evaluate(course, tree, st, titles) : { complete: new Set<string>(), lessonLocks: new Map<string, Lock>(), unitLocks: new Map() };
    const done = ev.complete.size;
    const next = tree.flatMap((t) => t.lessons).find((l) => !ev.complete.has(l.id));
    return {
      student_id: r.user_id,
      name: `${r.first_name} ${r.last_name}`.trim(),
      completed_lessons: done,
      total_lessons: total,
      percent: total === 0 ? 0 : Math.round((done / total) * 100),
      complete: course ? courseComplete(course, tree, st, ev.complete) : false,
      units: tree.map((t) => ({
        unit_id: t.unit.id,
        title: t.unit.title,
        completed_lessons: t.lessons.filter((l) => ev.complete.has(l.id)).length,
        total_lessons: t.lessons.length,
      })),
      stuck_at: next ? { lesson_id: next.id, title: next.title, locked: ev.lessonLocks.get(next.id)?.locked ?? false } : null,
      certificate_id: certOf.get(r.user_id) ?? null,
    };
  });
}

/** Called by the quiz service whenever counted attempts change (submit, grade, regrade). */
export async function quizActivity(scope: Scope, quizId: string, studentIds?: string[]): Promise<void> {
  const quiz = (await scope.db('quizzes').where({ id: quizId }).first('class_id')) as { class_id: string } | undefined;
  if (!quiz) return;
  const course = await courseOf(scope, quiz.class_id);
  if (!course?.certificates) return;
  const students: string[] = studentIds ?? (await scope.db('quiz_attempts').where({ quiz_id: quizId, counted: true }).distinct().pluck('student_id'));
  for (const student of students) await checkCompletion(scope, course, student);
}
