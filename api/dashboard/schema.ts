import { z } from 'zod';

const classRef = z.object({ id: z.uuid(), name: z.string() });

export const dueItem = z.object({
  homework_id: z.uuid(),
  class: classRef,
  title: z.string(),
  due_at: z.string(),
  late_until: z.string().nullable(),
  overdue: z.boolean().describe('Past due but still accepted (late window).'),
});

export const openQuiz = z.object({
  quiz_id: z.uuid(),
  class: classRef,
  title: z.string(),
  closes_at: z.string().nullable(),
  time_limit_minutes: z.number().nullable(),
  attempts_used: z.number(),
  attempts_allowed: z.number().nullable(),
  attempt_in_progress: z.uuid().nullable().describe('Resume this attempt.'),
});

export const noticeItem = z.object({
  notice_id: z.uuid(),
  class: classRef.nullable().describe('null: school-wide'),
  title: z.string(),
  important: z.boolean(),
  pinned: z.boolean(),
  published_at: z.string(),
  read: z.boolean(),
});

export const gradeItem = z.object({
  kind: z.enum(['homework', 'quiz']),
  id: z.uuid().describe('The homework or quiz'),
  class: classRef,
  title: z.string(),
  score: z.number(),
  points: z.number(),
  graded_at: z.string(),
});

export const gradingItem = z.object({
  kind: z.enum(['homework', 'quiz']),
  id: z.uuid(),
  class: classRef,
  title: z.string(),
  waiting: z.number().describe('Turned-in work not graded yet, or quiz attempts with questions to grade by hand.'),
});

export const upcomingItem = z.object({
  kind: z.enum(['homework', 'quiz']),
  id: z.uuid(),
  class: classRef,
  title: z.string(),
  due_at: z.string().describe('Homework: due; quizzes: closes.'),
  turned_in: z.number().describe('Students who have turned it in (homework) or submitted (quiz).'),
});

export const recentSubmission = z.object({
  homework_id: z.uuid(),
  class: classRef,
  title: z.string(),
  student: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string() }),
  submitted_at: z.string(),
  late: z.boolean(),
});

const studentPart = {
  due_soon: z.array(dueItem),
  open_quizzes: z.array(openQuiz),
  recent_grades: z.array(gradeItem),
};

export const dashboardView = z.object({
  role: z.enum(['admin', 'teacher', 'student', 'guardian']),
  recent_notices: z.array(noticeItem),
  student: z.object(studentPart).optional().describe('Students: what to do next.'),
  teaching: z
    .object({ needs_grading: z.array(gradingItem), upcoming: z.array(upcomingItem), recent_submissions: z.array(recentSubmission) })
    .optional()
    .describe('Teachers (their classes) and admins (the school).'),
  children: z
    .array(
      z.object({
        student: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string() }),
        due_soon: z.array(dueItem),
        recent_grades: z.array(gradeItem),
      }),
    )
    .optional()
    .describe('Guardians: each linked student.'),
});
export type DashboardView = z.infer<typeof dashboardView>;
