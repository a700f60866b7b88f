// Course pages (issue #18): the outline under a class, a lesson (a student's locked lesson is a
// 403 page saying what opens it), marking a lesson done, progress (teachers: who is stuck where;
// students and guardians: their own), a certificate, and the public verification page.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { findClass } from '../classes/service.ts';
import { findCertificate, presentCertificate, verifyCertificate } from '../courses/certificates.ts';
import { courseProgress, readCourse, readLesson, recordProgress } from '../courses/progress.ts';
import { VERIFY_LIMIT } from '../courses/routes.ts';
import { buildsCourse } from '../courses/service.ts';
import { page, pageRoute } from './page.ts';

const idParams = z.object({ id: z.uuid() });
const doneForm = z.object({ _csrf: z.string().max(200).optional(), completed: z.enum(['true', 'false']).default('true') });

export const coursePages = [
  pageRoute({
    method: 'get',
    path: '/classes/:id/course',
    summary: 'A class’s course: units and lessons in order, locks and progress for students',
    access: { action: 'read', subject: 'Course' },
    allowReadOnly: true,
    params: idParams,
    handler: async ({ scope, deps, params }) => {
      const klass = await findClass(scope, params.id);
      const course = await readCourse(scope, params.id);
      const builds = await buildsCourse(scope, params.id);
      return page(scope, deps, 'course', { title: course.title, klass: { id: klass.id, name: klass.name }, course, builds });
    },
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
      return page(scope, deps, 'lesson', { title: lesson.title, lesson, klass: { id: klass.id, name: klass.name }, student });
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
      return { redirect: `/lessons/${params.id}` };
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
