import { z } from 'zod';
import { attachmentsInput, attachmentView } from '../content/attachments.ts';
import { markdownSchema } from '../content/markdown.ts';
import { publishAtInput } from '../content/school-time.ts';

const title = z.string().trim().min(1, 'is required').max(200);
const percent = z.number().int().min(0).max(100);
const publishAt = publishAtInput.describe('null: a draft. "now", or a time (without an offset: the school’s time): released then.');

export const courseSettingsInput = z.strictObject({
  title: z.string().trim().min(1).max(200).nullable().optional().describe('null: the class’s name'),
  pass_percent: percent.nullable().optional().describe('Completion also needs every linked quiz passed with at least this percentage; null: lessons only.'),
  certificates: z.boolean().optional().describe('Issue a certificate on completion (default true).'),
});
export type CourseSettingsInput = z.infer<typeof courseSettingsInput>;

export const unitInput = z.strictObject({
  title,
  summary: z.string().max(2000).optional(),
  publish_at: publishAt.optional(),
  gate_quiz_id: z.uuid().nullable().optional().describe('This unit opens once this quiz (of the same class) is passed with gate_percent.'),
  gate_percent: percent.nullable().optional(),
});
export type UnitInput = z.infer<typeof unitInput>;
export const updateUnitInput = unitInput.partial();
export type UpdateUnitInput = z.infer<typeof updateUnitInput>;

export const lessonInput = z.strictObject({
  title,
  body: markdownSchema.optional(),
  attachments: attachmentsInput.optional(),
  video_url: z
    .url({ protocol: /^https$/, message: 'must be an https address' })
    .max(2048)
    .nullable()
    .optional(),
  estimated_minutes: z.number().int().min(1).max(10_000).nullable().optional(),
  homework_id: z.uuid().nullable().optional().describe('Handing this homework in completes the lesson.'),
  quiz_id: z.uuid().nullable().optional().describe('Passing this quiz (pass_percent, else the course’s) completes the lesson.'),
  pass_percent: percent.nullable().optional(),
  publish_at: publishAt.optional(),
  prerequisite_lesson_id: z.uuid().nullable().optional().describe('This lesson opens once that lesson (same course) is complete.'),
});
export type LessonInput = z.infer<typeof lessonInput>;
export const updateLessonInput = lessonInput.partial();
export type UpdateLessonInput = z.infer<typeof updateLessonInput>;

export const unitOrderInput = z.strictObject({
  unit_ids: z.array(z.uuid()).max(500),
  version: z.number().int().min(0).describe('The course’s version as last read: a 409 tells you someone else reordered first.'),
});
export const lessonOrderInput = z.strictObject({
  lesson_ids: z.array(z.uuid()).max(500),
  version: z.number().int().min(0).describe('The unit’s version as last read.'),
});

export const progressEventInput = z.strictObject({
  event_id: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[\w.:-]+$/, 'letters, digits, . : _ - only')
    .describe('Your id for this event: sending it again changes nothing.'),
  completed: z.boolean().default(true),
  occurred_at: z.iso.datetime({ offset: true }).optional().describe('When it happened (default: now). A later event wins, whatever order they arrive in.'),
});
export type ProgressEventInput = z.infer<typeof progressEventInput>;

export const revokeInput = z.strictObject({ reason: z.string().trim().min(1).max(500) });
export const copyInput = z.strictObject({
  name: z.string().trim().min(1).max(200).describe('The new class’s name'),
  background: z.boolean().optional().describe('Copy as a background job (202) even when the class is small; large classes always are.'),
});
export const courseCopyView = z.object({
  id: z.uuid(),
  source_class_id: z.uuid(),
  name: z.string(),
  status: z.enum(['queued', 'running', 'done', 'failed']),
  steps_done: z.number(),
  steps_total: z.number(),
  percent: z.number(),
  step: z.string().nullable().describe('The step finished last'),
  class_id: z.uuid().nullable().describe('The new class, once done'),
  counts: z.record(z.string(), z.number()).nullable(),
  error: z.string().nullable(),
});

const lockView = z.object({
  locked: z.boolean(),
  reason: z.enum(['prerequisite', 'unit_gate']).nullable(),
  explanation: z.string().nullable(),
});

export const lessonSummaryView = z.object({
  id: z.uuid(),
  unit_id: z.uuid(),
  position: z.number(),
  title: z.string(),
  estimated_minutes: z.number().nullable(),
  state: z.enum(['draft', 'scheduled', 'published']),
  publish_at: z.string().nullable(),
  homework_id: z.uuid().nullable(),
  quiz_id: z.uuid().nullable(),
  pass_percent: z.number().nullable(),
  prerequisite_lesson_id: z.uuid().nullable(),
  completed: z.boolean().optional().describe('Students only'),
  lock: lockView.optional().describe('Students only'),
});
export type LessonSummaryView = z.infer<typeof lessonSummaryView>;

export const lessonView = lessonSummaryView.extend({
  body: z.string(),
  body_html: z.string().describe('The body rendered and sanitised by the server'),
  attachments: z.array(attachmentView),
  video_url: z.string().nullable(),
  video_embed_url: z.string().nullable().describe('youtube-nocookie.com or player.vimeo.com (dnt=1); null: show video_url as a link'),
});
export type LessonView = z.infer<typeof lessonView>;

export const unitView = z.object({
  id: z.uuid(),
  position: z.number(),
  title: z.string(),
  summary: z.string(),
  state: z.enum(['draft', 'scheduled', 'published']),
  publish_at: z.string().nullable(),
  gate_quiz_id: z.uuid().nullable(),
  gate_percent: z.number().nullable(),
  version: z.number(),
  lock: lockView.optional(),
  lessons: z.array(lessonSummaryView),
});
export type UnitView = z.infer<typeof unitView>;

export const courseView = z.object({
  id: z.uuid().nullable().describe('null: the class has no course yet'),
  class_id: z.uuid(),
  title: z.string(),
  pass_percent: z.number().nullable(),
  certificates: z.boolean(),
  version: z.number(),
  units: z.array(unitView),
});
export type CourseView = z.infer<typeof courseView>;

export const studentProgressView = z.object({
  student_id: z.uuid(),
  name: z.string(),
  completed_lessons: z.number(),
  total_lessons: z.number(),
  percent: z.number(),
  complete: z.boolean(),
  units: z.array(z.object({ unit_id: z.uuid(), title: z.string(), completed_lessons: z.number(), total_lessons: z.number() })),
  stuck_at: z.object({ lesson_id: z.uuid(), title: z.string(), locked: z.boolean() }).nullable().describe('The first lesson in course order not yet complete'),
  certificate_id: z.uuid().nullable(),
});
export type StudentProgressView = z.infer<typeof studentProgressView>;

export const certificateView = z.object({
  id: z.uuid(),
  class_id: z.uuid(),
  student_id: z.uuid(),
  student_name: z.string(),
  course_title: z.string(),
  issued_at: z.string(),
  code: z.string(),
  verify_path: z.string(),
  pdf_url: z.string().nullable().describe('null until the PDF has been rendered'),
  status: z.enum(['genuine', 'revoked']),
  revoked_at: z.string().nullable(),
  revoke_reason: z.string().nullable(),
});
export type CertificateView = z.infer<typeof certificateView>;

export const verificationView = z.object({
  status: z.enum(['genuine', 'revoked', 'unknown']),
  name: z.string().optional(),
  course: z.string().optional(),
  date: z.string().optional().describe('Issue date (YYYY-MM-DD)'),
});
export type VerificationView = z.infer<typeof verificationView>;
