// Course pages (issue #18): the outline under a class, a lesson (a student's locked lesson is a
// 403 page saying what opens it), marking a lesson done, progress (teachers: who is stuck where;
// students and guardians: their own), a certificate, and the public verification page.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { accessibleBy } from '../access/query.ts';
import { Class } from '../classes/model.ts';
import { findClass } from '../classes/service.ts';
import { findCertificate, presentCertificate, verifyCertificate } from '../courses/certificates.ts';
import { COURSE_FIELDS_ON_CLASS } from '../courses/model.ts';
import { courseProgress, readCourse, readLesson, recordProgress } from '../courses/progress.ts';
import { VERIFY_LIMIT } from '../courses/routes.ts';
import { buildsCourse } from '../courses/service.ts';
import { contentSecurityPolicy, VIDEO_FRAME_HOSTS } from '../http/security-headers.ts';
import { now, type Scope } from '../scope.ts';
import { builderChoices } from './course-builder.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });
const doneForm = z.object({ _csrf: z.string().max(200).optional(), completed: z.enum(['true', 'false']).default('true') });

const LESSON_CSP = contentSecurityPolicy({ 'frame-src': VIDEO_FRAME_HOSTS });

/** The outline page: the course as this person sees it; for builders also the settings and
 * new-unit forms (kept as typed after a mistake); for a student, their certificate once issued. */
export async function coursePage(scope: Scope, classId: string, kept: Record<string, unknown> = {}) {
  const klass = await findClass(scope, classId);
  const course = await readCourse(scope, classId);
  const builds = await buildsCourse(scope, classId);
  const me = scope.actor.type === 'user' && scope.actor.user.role === 'student' ? scope.actor.user.id : undefined;
  const certificate =
    me && course.id ? ((await scope.db('certificates').where({ course_id: course.id, student_id: me }).first('id')) as { id: string } | undefined) : undefined;
  const settings = await scope.db('courses').where({ class_id: classId }).first('title', 'pass_percent', 'certificates');
  return {
    title: course.title,
    klass: { id: klass.id, name: klass.name },
    course,
    builds,
    certificate,
    ...(builds
      ? {
          choices: await builderChoices(scope, classId, { quiz: (kept.unitForm as { gate_quiz_id?: string } | undefined)?.gate_quiz_id }),
          settingsForm: {
            title: settings?.title ?? '',
            pass_percent: settings?.pass_percent ?? '',
            certificates: settings ? settings.certificates : true,
          },
          unitForm: { publish: 'now' },
        }
      : {}),
    ...kept,
  };
}

/** Classes whose course this person reads: students and guardians, those with something
 * released; teachers, every class they teach (to build one). */
async function myCourses(scope: Scope) {
  const builder = scope.actor.type === 'user' && (scope.actor.user.role === 'teacher' || scope.actor.user.role === 'admin');
  const at = now(scope);
  const rows: { id: string; name: string; course_title: string | null; units: string; lessons: string }[] = await Class.query(scope.db)
    .modify(accessibleBy(scope.ability, 'read', 'Course', COURSE_FIELDS_ON_CLASS))
    .whereNull('classes.archived_at')
    .leftJoin('courses as c', (j) => j.on('c.tenant_id', 'classes.tenant_id').andOn('c.class_id', 'classes.id'))
    .select(
      'classes.id',
      'classes.name',
      'c.title as course_title',
      scope.db.raw(
        `(select count(*) from course_units u where u.tenant_id = classes.tenant_id and u.class_id = classes.id ${builder ? '' : 'and u.publish_at <= ?'}) as units`,
        builder ? [] : [at],
      ),
      scope.db.raw(
        `(select count(*) from course_lessons l join course_units u on u.tenant_id = l.tenant_id and u.id = l.unit_id
          where l.tenant_id = classes.tenant_id and l.class_id = classes.id ${builder ? '' : 'and l.publish_at <= ? and u.publish_at <= ?'}) as lessons`,
        builder ? [] : [at, at],
      ),
    )
    .orderBy(['classes.name', 'classes.id'])
    .limit(100)
    .castTo<never>();
  return rows
    .map((r) => ({ id: r.id, name: r.course_title ?? r.name, class_name: r.name, units: Number(r.units), lessons: Number(r.lessons) }))
    .filter((r) => builder || r.units > 0);
}

export const coursePages = [
  pageRoute({
    method: 'get',
    path: '/courses',
    summary: 'My courses: students and guardians, courses of their classes; teachers, their classes’ courses',
    access: { action: 'read', subject: 'Course' },
    allowReadOnly: true,
    handler: async ({ scope, deps }) => page(scope, deps, 'courses', { title: 'Courses', current: '/courses', courses: await myCourses(scope) }),
  }),
  pageRoute({
    method: 'get',
    path: '/classes/:id/course',
    summary: 'A class’s course: units and lessons in order, locks and progress for students',
    access: { action: 'read', subject: 'Course' },
    allowReadOnly: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => page(scope, deps, 'course', await coursePage(scope, params.id)),
  }),
  pageRoute({
    method: 'get',
    path: '/lessons/:id',
    summary: 'A lesson (a student’s locked lesson says what opens it)',
    access: { action: 'read', subject: 'Course' },
    allowReadOnly: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const lesson = await readLesson(scope, params.id);
      const klass = await findClass(scope, (await scope.db('course_lessons').where({ id: params.id }).first('class_id')).class_id);
      const student = scope.actor.type === 'user' && scope.actor.user.role === 'student';
      const builds = await buildsCourse(scope, klass.id);
      const rendered = page(scope, deps, 'lesson', { title: lesson.title, lesson, klass: { id: klass.id, name: klass.name }, student, builds });
      // Only a lesson with a YouTube or Vimeo video may frame their privacy-enhanced players.
      return lesson.video_embed_url ? { ...rendered, headers: { 'Content-Security-Policy': LESSON_CSP } } : rendered;
    },
  }),
  pageRoute({
    method: 'post',
    path: '/lessons/:id/done',
    summary: 'Mark a lesson done (or not done)',
    access: { action: 'submit', subject: 'CourseProgress' },
    params: idParams,
    form: true,
    body: doneForm,
    handler: async ({ scope, params, body }) => {
      await recordProgress(scope, params.id, { event_id: `page-${randomUUID()}`, completed: body.completed === 'true' });
      // Back to the outline: the next lesson (perhaps just opened) or the certificate is there.
      const { class_id } = await scope.db('course_lessons').where({ id: params.id }).first('class_id');
      return { redirect: `/classes/${class_id}/course#lesson-${params.id}` };
    },
  }),
  pageRoute({
    method: 'get',
    path: '/classes/:id/course/progress',
    summary: 'Course progress: every student for teachers; their own for students and guardians',
    access: { action: 'read', subject: 'CourseProgress' },
    allowReadOnly: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const klass = await findClass(scope, params.id);
      const rows = await courseProgress(scope, params.id);
      return page(scope, deps, 'course-progress', { title: `${klass.name}: progress`, klass: { id: klass.id, name: klass.name }, rows });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/certificates/:id',
    summary: 'A certificate: download, and its verification address',
    access: { action: 'read', subject: 'Certificate' },
    allowReadOnly: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const cert = presentCertificate(await findCertificate(scope, params.id));
      return page(scope, deps, 'certificate', { title: cert.course_title, cert });
    },
  }),
  pageRoute({
    method: 'get',
    path: '/verify/:code',
    summary: 'Public: is this certificate genuine?',
    access: 'public',
    identify: true,
    allowReadOnly: true,
    limits: [VERIFY_LIMIT],
    params: z.object({ code: z.string().max(100) }),
    handler: async ({ scope, deps, params }) => {
      const result = await verifyCertificate(scope, params.code);
      return page(scope, deps, 'verify', { title: 'Certificate check', result, genuine: result.status === 'genuine', revoked: result.status === 'revoked' });
    },
  }),
];
