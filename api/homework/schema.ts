import { z } from 'zod';
import { attachmentsInput, attachmentView } from '../content/attachments.ts';
import { markdownSchema } from '../content/markdown.ts';
import { pageQuery } from '../content/pagination.ts';
import { publishAtInput, schoolTimeInput } from '../content/school-time.ts';
import { atLeastOneField } from '../http/input.ts';

export const MAX_POINTS = 1000;
/** One request grades at most a page's worth of students. */
export const MAX_BULK_GRADES = 100;

// Stated as multipleOf/minimum/maximum (not refinements) so the API document says them too.
const amount = z.number().multipleOf(0.01, 'must have at most 2 decimal places');

const points = amount
  .gt(0, 'must be more than 0; send null for ungraded homework')
  .max(MAX_POINTS, `must be at most ${MAX_POINTS}`)
  .describe(`Maximum points, up to ${MAX_POINTS} with 2 decimals; null for ungraded homework (feedback only).`);

const publishAt = publishAtInput.describe('When students see it: "now", a date-time (scheduled while in the future), or null to keep or make it a draft.');

const assigneeIds = z
  .array(z.uuid({ message: 'must be a student id' }))
  .min(1, 'choose at least one student, or send null to assign the whole class')
  .max(500)
  .refine((ids) => new Set(ids).size === ids.length, 'lists a student twice')
  .nullable()
  .describe('Students of the class this is assigned to; null (the default) assigns it to the whole class, including students who join later.');

const title = z.string().trim().min(1, 'is required').max(200);

export const createHomeworkInput = z.strictObject({
  title,
  instructions: markdownSchema.default(''),
  points: points.nullable().default(100),
  due_at: schoolTimeInput,
  late_until: schoolTimeInput.nullable().optional().describe('Late work is accepted (and flagged late) until then; null: not after due_at.'),
  publish_at: publishAt.optional(),
  assignee_ids: assigneeIds.optional(),
  attachments: attachmentsInput.default([]),
});
export type CreateHomeworkInput = z.infer<typeof createHomeworkInput>;

export const updateHomeworkInput = z
  .strictObject({
    title: title.optional(),
    instructions: markdownSchema.optional(),
    points: points.nullable().optional(),
    due_at: schoolTimeInput.optional(),
    late_until: schoolTimeInput.nullable().optional(),
    publish_at: publishAt.optional(),
    assignee_ids: assigneeIds.optional(),
    attachments: attachmentsInput.optional(),
  })
  .apply(atLeastOneField);
export type UpdateHomeworkInput = z.infer<typeof updateHomeworkInput>;

export const HOMEWORK_STATES = ['draft', 'scheduled', 'published'] as const;
export type HomeworkState = (typeof HOMEWORK_STATES)[number];

export const listHomeworkQuery = pageQuery.extend({
  status: z.enum(HOMEWORK_STATES).optional().describe('Only homework in this state. Students and guardians only ever see published homework.'),
});

const instant = z.string().describe('ISO 8601, UTC');
const local = z.string().describe('The same time on the school’s clock, in its time zone');

export const homeworkView = z.object({
  id: z.uuid(),
  class_id: z.uuid(),
  title: z.string(),
  instructions: z.string().describe('The Markdown source'),
  instructions_html: z.string().describe('Rendered and sanitised'),
  points: z.number().nullable(),
  due_at: instant,
  due_at_local: local,
  late_until: instant.nullable(),
  late_until_local: local.nullable(),
  publish_at: instant.nullable(),
  publish_at_local: local.nullable(),
  status: z.enum(HOMEWORK_STATES),
  assign_to_all: z.boolean(),
  assignee_ids: z.array(z.uuid()).nullable().describe('The chosen students; null when assigned to the whole class or to those who do not manage it.'),
  attachments: z.array(attachmentView),
  created_by: z.uuid().nullable(),
  created_at: instant,
  updated_at: instant,
});
export type HomeworkView = z.infer<typeof homeworkView>;

export const submitInput = z
  .strictObject({
    body: markdownSchema.nullable().optional(),
    attachments: attachmentsInput.optional(),
  })
  .refine((v) => (v.body ?? '').trim() !== '' || (v.attachments?.length ?? 0) > 0, {
    message: 'write something or attach your work',
    path: ['body'],
  })
  .meta({
    anyOf: [
      { required: ['body'], properties: { body: { type: 'string', pattern: '\\S' } } },
      { required: ['attachments'], properties: { attachments: { minItems: 1 } } },
    ],
    examples: [{ body: 'My essay is attached as a link: https://example.org/essay' }],
  });
export type SubmitInput = z.infer<typeof submitInput>;

const gradeFields = {
  score: amount
    .min(0, 'must not be negative')
    .nullable()
    .optional()
    .describe('From 0 to the homework’s points; null clears it. Students see it once returned.'),
  feedback: z.string().trim().max(10_000).nullable().optional(),
  return: z.boolean().optional().describe('Hand the grade and feedback back to the student now.'),
};
const someGrade = (v: Record<string, unknown>) => v.score !== undefined || v.feedback !== undefined || v.return === true;
const someGradeMessage = 'send a score, feedback, or return: true';

// The document's words for someGrade (at least one of score, feedback, return).
const someGradeSets = { anyOf: [{ required: ['score'] }, { required: ['feedback'] }, { required: ['return'] }] };
export const gradeInput = z
  .strictObject(gradeFields)
  .refine(someGrade, { message: someGradeMessage })
  .meta({ ...someGradeSets, examples: [{ score: 8.5, feedback: 'Clear argument; cite your sources.', return: true }] });
export type GradeInput = z.infer<typeof gradeInput>;

export const bulkGradeInput = z.strictObject({
  grades: z
    .array(
      z
        .strictObject({ student_id: z.uuid(), ...gradeFields })
        .refine(someGrade, { message: someGradeMessage })
        .meta(someGradeSets),
    )
    .min(1, 'send at least one grade')
    .max(MAX_BULK_GRADES, `at most ${MAX_BULK_GRADES} grades per request`)
    .superRefine((grades, ctx) => {
      const seen = new Set<string>();
      grades.forEach((g, i) => {
        if (seen.has(g.student_id)) ctx.addIssue({ code: 'custom', path: [i, 'student_id'], message: 'this student is graded twice in this request' });
        seen.add(g.student_id);
      });
    }),
});
export type BulkGradeInput = z.infer<typeof bulkGradeInput>;

/** As a teacher sees it. Students and guardians never see `graded` (a draft grade): for them
 * such work is still turned_in (or assigned / missing). */
export const SUBMISSION_STATES = ['assigned', 'missing', 'turned_in', 'graded', 'returned'] as const;
export type SubmissionState = (typeof SUBMISSION_STATES)[number];

export const listSubmissionsQuery = pageQuery.extend({
  status: z.enum(SUBMISSION_STATES).optional().describe('Only students whose work is in this state, as you see it.'),
});

const gradeView = {
  score: z.number().nullable().describe('Hidden (null) from students and guardians until returned'),
  feedback: z.string().nullable().describe('Hidden (null) from students and guardians until returned'),
  returned_at: instant.nullable(),
};

export const submissionView = z.object({
  id: z.uuid().nullable().describe('null while the student has nothing for this homework'),
  homework_id: z.uuid(),
  student: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string() }),
  status: z.enum(SUBMISSION_STATES),
  late: z.boolean(),
  body: z.string().nullable(),
  body_html: z.string(),
  attachments: z.array(attachmentView),
  submitted_at: instant.nullable(),
  submitted_at_local: local.nullable(),
  version: z.number().int().describe('How many times it was turned in'),
  points: z.number().nullable(),
  ...gradeView,
  graded_at: instant.nullable().describe('Shown to those who grade'),
  graded_by: z.uuid().nullable().describe('Shown to those who grade'),
});
export type SubmissionView = z.infer<typeof submissionView>;

export const submissionVersionView = z.object({
  version: z.number().int(),
  status: z.enum(['turned_in', 'graded', 'returned']).describe('Its state when it was replaced, as you see it'),
  body: z.string().nullable(),
  body_html: z.string(),
  attachments: z.array(attachmentView),
  submitted_at: instant.nullable(),
  late: z.boolean(),
  ...gradeView,
  replaced_at: instant,
});
export type SubmissionVersionView = z.infer<typeof submissionVersionView>;

export const submissionDetailView = submissionView.extend({
  closes_at: instant.describe('Work is accepted until then (late_until, else due_at)'),
  closes_at_local: local,
  open: z.boolean().describe('Whether work is accepted now'),
  history: z.array(submissionVersionView).describe('Earlier versions, newest first'),
});
export type SubmissionDetailView = z.infer<typeof submissionDetailView>;

export const bulkGradeView = z.object({ data: z.array(submissionView) });
