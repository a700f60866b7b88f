import { z } from 'zod';
import { fileServices } from '../files/service.ts';
import type { AnyRoute } from '../http/route.ts';
import { tenantRoute } from '../http/route.ts';
import { now } from '../scope.ts';
import { findCertificate, listCertificates, presentCertificate, revokeCertificate, verifyCertificate } from './certificates.ts';
import { COPY_INLINE_MAX, copyCourse, copySize } from './copy.ts';
import { findCopy, presentCopy, queueCourseCopy } from './copy-job.ts';
import { courseProgress, readCourse, readLesson, recordProgress } from './progress.ts';
import {
  certificateView,
  copyInput,
  courseCopyView,
  courseSettingsInput,
  courseView,
  lessonInput,
  lessonOrderInput,
  lessonView,
  progressEventInput,
  revokeInput,
  studentProgressView,
  unitInput,
  unitOrderInput,
  updateLessonInput,
  updateUnitInput,
  verificationView,
} from './schema.ts';
import {
  createLesson,
  createUnit,
  deleteLesson,
  deleteUnit,
  presentLesson,
  reorderLessons,
  reorderUnits,
  updateCourseSettings,
  updateLesson,
  updateUnit,
} from './service.ts';

const idParams = z.object({ id: z.uuid() });
const tags = ['courses'];
const versionView = z.object({ version: z.number() });

/** Public verification: per address, so guessing codes is slow (codes carry 128 random bits). */
export const VERIFY_LIMIT = { name: 'certificate-verify', max: 30, durationMs: 60_000 };

export const courseRoutes: AnyRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/course',
    summary: 'A class’s course: settings, units and lessons in order',
    description:
      'Teachers and admins see drafts and scheduled units and lessons; students and guardians what is released. For a student each lesson says whether it is complete and whether (and why) it is locked.',
    tags,
    access: { action: 'read', subject: 'Course' },
    params: idParams,
    responses: { 200: { description: 'The course', schema: courseView } },
    handler: async ({ scope, params }) => {
      const course = await readCourse(scope, params.id);
      return { body: course, headers: { ETag: `"v${course.version}"` } };
    },
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/classes/:id/course',
    summary: 'Set the course’s title and completion criteria',
    tags,
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    body: courseSettingsInput,
    responses: { 200: { description: 'The course', schema: courseView } },
    handler: async ({ scope, params, body }) => {
      await updateCourseSettings(scope, params.id, body);
      return { body: await readCourse(scope, params.id) };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/course/units',
    summary: 'Add a unit at the end of the course',
    tags,
    access: { action: 'create', subject: 'Course' },
    params: idParams,
    body: unitInput,
    responses: { 201: { description: 'Created', schema: z.object({ id: z.uuid(), position: z.number() }) } },
    handler: async ({ scope, params, body }) => {
      const unit = await createUnit(scope, params.id, body);
      return { status: 201, body: { id: unit.id, position: unit.position } };
    },
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/classes/:id/course/unit-order',
    summary: 'Put the units in this order (all of them, with the course version last read)',
    tags,
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    body: unitOrderInput,
    responses: { 200: { description: 'The course’s new version', schema: versionView } },
    handler: async ({ scope, params, body }) => ({ body: { version: await reorderUnits(scope, params.id, body) } }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/course-units/:id',
    summary: 'Change, release, schedule or gate a unit',
    tags,
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    body: updateUnitInput,
    responses: { 200: { description: 'Changed', schema: z.object({ id: z.uuid() }) } },
    handler: async ({ scope, params, body }) => ({ body: { id: (await updateUnit(scope, params.id, body)).id } }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/course-units/:id',
    summary: 'Delete a unit with its lessons (and their progress)',
    tags,
    access: { action: 'delete', subject: 'Course' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params }) => {
      await deleteUnit(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/course-units/:id/lessons',
    summary: 'Add a lesson at the end of a unit',
    description:
      'Video links: YouTube and Vimeo are embedded privacy-enhanced (youtube-nocookie.com, player.vimeo.com with dnt=1); other hosts are refused unless the school allows them.',
    tags,
    access: { action: 'create', subject: 'Course' },
    params: idParams,
    body: lessonInput,
    responses: { 201: { description: 'Created', schema: lessonView } },
    handler: async ({ scope, params, body }) => ({ status: 201, body: presentLesson(await createLesson(scope, params.id, body), now(scope)) }),
  }),
  tenantRoute({
    method: 'put',
    path: '/api/v1/course-units/:id/lesson-order',
    summary: 'Put the unit’s lessons in this order (all of them, with the unit version last read)',
    tags,
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    body: lessonOrderInput,
    responses: { 200: { description: 'The unit’s new version', schema: versionView } },
    handler: async ({ scope, params, body }) => ({ body: { version: await reorderLessons(scope, params.id, body) } }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/lessons/:id',
    summary: 'One lesson',
    description: 'A student’s locked lesson is a 403 saying why (finish a lesson first, or pass a quiz).',
    tags,
    access: { action: 'read', subject: 'Course' },
    params: idParams,
    responses: { 200: { description: 'The lesson', schema: lessonView } },
    handler: async ({ scope, params }) => ({ body: await readLesson(scope, params.id) }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/api/v1/lessons/:id',
    summary: 'Change, release or schedule a lesson',
    tags,
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    body: updateLessonInput,
    responses: { 200: { description: 'The lesson', schema: lessonView } },
    handler: async ({ scope, params, body }) => ({ body: presentLesson(await updateLesson(scope, params.id, body), now(scope)) }),
  }),
  tenantRoute({
    method: 'delete',
    path: '/api/v1/lessons/:id',
    summary: 'Delete a lesson',
    tags,
    access: { action: 'delete', subject: 'Course' },
    params: idParams,
    responses: { 204: { description: 'Deleted' } },
    handler: async ({ scope, params }) => {
      await deleteLesson(scope, params.id);
      return {};
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/lessons/:id/progress',
    summary: 'Mark a lesson complete (or not), as the student',
    description:
      'Idempotent by event_id. Events may arrive in any order: the one that happened last (occurred_at) decides. Completing the course issues the certificate.',
    tags,
    // Admitted like a read, so a lesson this person cannot see is a 404 before the service
    // refuses anyone but the class's students (403).
    access: { action: 'submit', subject: 'CourseProgress' },
    params: idParams,
    body: progressEventInput,
    responses: { 200: { description: 'Where the lesson now stands', schema: z.object({ completed: z.boolean(), duplicate: z.boolean() }) } },
    handler: async ({ scope, params, body }) => ({ body: await recordProgress(scope, params.id, body) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/course/progress',
    summary: 'Progress per student, per unit and course, and where each is stuck',
    description: 'Teachers and admins: every student of the class; a student: their own; a guardian: their linked students’.',
    tags,
    access: { action: 'read', subject: 'CourseProgress' },
    params: idParams,
    responses: { 200: { description: 'Progress', schema: z.object({ data: z.array(studentProgressView) }) } },
    handler: async ({ scope, params }) => ({ body: { data: await courseProgress(scope, params.id) } }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/classes/:id/course/copy',
    summary: 'Copy this class’s course into a new class (next term)',
    description:
      'Units, lessons, homework, quizzes with every question, resources and topics, settings and teachers, in one transaction; no student data. Everything arrives as a draft. A large class (or `background: true`) is copied by a background job, still in one transaction: the answer is then 202 with the copy to poll (GET /course-copies/:id).',
    tags,
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    body: copyInput,
    responses: {
      201: { description: 'The new class', schema: z.object({ class_id: z.uuid(), counts: z.record(z.string(), z.number()) }) },
      202: { description: 'Queued: poll the copy', schema: courseCopyView },
    },
    handler: async ({ scope, params, body, deps }) => {
      if (body.background || (await copySize(scope, params.id)) > COPY_INLINE_MAX) {
        const copy = await queueCourseCopy(scope, params.id, body.name);
        return { status: 202, body: presentCopy(copy), headers: { Location: `/api/v1/course-copies/${copy.id}` } };
      }
      return { status: 201, body: await copyCourse(scope, fileServices(deps.config.files).storage, params.id, body.name) };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/course-copies/:id',
    summary: 'A background course copy: queued, running (steps done), done (the new class) or failed',
    tags,
    access: { action: 'update', subject: 'Course' },
    params: idParams,
    responses: { 200: { description: 'The copy', schema: courseCopyView } },
    handler: async ({ scope, params }) => ({ body: presentCopy(await findCopy(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/classes/:id/certificates',
    summary: 'Certificates issued in this class',
    tags,
    access: { action: 'read', subject: 'Certificate' },
    params: idParams,
    responses: { 200: { description: 'Certificates', schema: z.object({ data: z.array(certificateView) }) } },
    handler: async ({ scope, params }) => ({ body: { data: (await listCertificates(scope, params.id)).map(presentCertificate) } }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/certificates/:id',
    summary: 'One certificate',
    tags,
    access: { action: 'read', subject: 'Certificate' },
    params: idParams,
    responses: { 200: { description: 'The certificate', schema: certificateView } },
    handler: async ({ scope, params }) => ({ body: presentCertificate(await findCertificate(scope, params.id)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/api/v1/certificates/:id/revoke',
    summary: 'Revoke a certificate (verification then says revoked)',
    tags,
    access: { action: 'update', subject: 'Certificate' },
    params: idParams,
    body: revokeInput,
    responses: { 200: { description: 'The certificate', schema: certificateView } },
    handler: async ({ scope, params, body }) => ({ body: presentCertificate(await revokeCertificate(scope, params.id, body.reason)) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/api/v1/certificates/verify/:code',
    summary: 'Check a certificate’s verification code (anyone)',
    description: 'Says genuine, revoked or unknown; shows only the name, the course and the date. Rate-limited per address.',
    tags,
    access: 'public',
    limits: [VERIFY_LIMIT],
    params: z.object({ code: z.string().max(100) }),
    responses: { 200: { description: 'What the code says', schema: verificationView } },
    handler: async ({ scope, params }) => ({ body: await verifyCertificate(scope, params.code) }),
  }),
];
