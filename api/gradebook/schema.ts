import { z } from 'zod';
import { pageQuery } from '../content/pagination.ts';

const HOMEWORK_STATUSES = ['not_assigned', 'assigned', 'missing', 'turned_in', 'graded', 'returned'] as const;
const QUIZ_STATUSES = ['not_started', 'in_progress', 'missing', 'needs_grading', 'submitted', 'graded'] as const;

export const gradebookQuery = pageQuery.extend({
  student_id: z.uuid().optional().describe('Only this student’s row.'),
});

const categoryAverage = z.object({ earned: z.number(), possible: z.number(), percent: z.number().nullable() });
export const averageView = z.object({
  earned: z.number(),
  possible: z.number(),
  percent: z.number().nullable().describe('Weighted when the class has weights; null while nothing is scored.'),
  by_category: z.object({ homework: categoryAverage, quizzes: categoryAverage }),
});

export const gradebookItem = z.object({
  kind: z.enum(['homework', 'quiz']),
  id: z.uuid(),
  title: z.string(),
  points: z.number(),
  due_at: z.string().nullable().describe('Homework: due; quizzes: when they close (null if open-ended).'),
  class_average: z.number().nullable().describe('Percent, over the scores this viewer may see; teachers and admins only.'),
});

export const gradebookCell = z.object({
  item_id: z.uuid(),
  status: z.enum([...HOMEWORK_STATUSES, ...QUIZ_STATUSES]),
  score: z.number().nullable().describe('Shown when the viewer may see it: returned homework, quiz results the policy releases; teachers see drafts.'),
  late: z.boolean(),
});

export const gradebookRow = z.object({
  student: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string() }),
  cells: z.array(gradebookCell).describe('In the order of `items`.'),
  average: averageView,
});

export const gradebookView = z.object({
  class_id: z.uuid(),
  weights: z.object({ homework: z.number(), quizzes: z.number() }).nullable(),
  items: z.array(gradebookItem),
  rows: z.array(gradebookRow),
  next_cursor: z.string().nullable().describe('Rows are paginated by student name.'),
});
export type GradebookView = z.infer<typeof gradebookView>;

export const weightsInput = z.strictObject({
  weights: z
    .strictObject({ homework: z.number().min(0).max(100), quizzes: z.number().min(0).max(100) })
    .refine((w) => Math.abs(w.homework + w.quizzes - 100) < 1e-9, { message: 'must add up to 100' })
    .meta({ examples: [{ homework: 60, quizzes: 40 }] })
    .nullable()
    .describe('Percent of the final grade per category; null: every point counts the same.'),
});
