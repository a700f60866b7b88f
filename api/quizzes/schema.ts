import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { markdownSchema } from '../content/markdown.ts';
import { schoolTimeInput } from '../content/school-time.ts';
import { atLeastOneField } from '../http/input.ts';
import type { Option, QuestionType } from './model.ts';

/** Upper bound on questions per quiz: an attempt presents them all at once. */
export const MAX_QUESTIONS = 200;

const text = (max: number) => z.string().trim().max(max);

const attemptsAllowed = z
  .union([z.number().int().min(1, 'must be between 1 and 10').max(10, 'must be between 1 and 10'), z.literal('unlimited'), z.null()])
  .transform((v) => (v === 'unlimited' ? null : v))
  .describe('How many attempts each student may start: 1 to 10, or null / "unlimited".');

const RELEASE_MOMENTS = ['after_attempt', 'after_close', 'manual'] as const;
const releaseMoment = z
  .enum(RELEASE_MOMENTS)
  .describe(
    'after_attempt: once that attempt is submitted; after_close: once the quiz has closed for everyone (closes_at plus the grace; never on a quiz without closes_at); manual: only when a teacher releases it.',
  );
const releaseNow = (what: string) =>
  z
    .boolean()
    .optional()
    .describe(
      `true: release ${what} to everyone now, whatever its moment (and the parts before it); false: take a release by hand back (and the parts after it).`,
    );

const quizFields = {
  title: text(200).min(1, 'is required'),
  instructions: markdownSchema.optional(),
  opens_at: schoolTimeInput.nullable().optional().describe('When students may start; null: as soon as it is published.'),
  closes_at: schoolTimeInput.nullable().optional().describe('After this no attempt starts, and attempts in progress end.'),
  time_limit_minutes: z.number().int().min(1).max(1440).nullable().optional().describe('Minutes per attempt; null: untimed.'),
  attempts_allowed: attemptsAllowed.optional(),
  counted_attempt: z.enum(['highest', 'latest', 'first']).optional().describe('Which submitted attempt is the student’s result.'),
  shuffle_questions: z.boolean().optional(),
  shuffle_options: z.boolean().optional(),
  score_release: releaseMoment.optional().describe('When a student (and their guardians) sees an attempt’s score. Default: after_attempt.'),
  correctness_release: releaseMoment
    .optional()
    .describe('When a student sees which questions were right: each question’s score and feedback. Not before the score. Default: after_close.'),
  answers_release: releaseMoment.optional().describe('When a student sees the right answers. Not before correctness. Default: after_close.'),
  leaderboard: z.boolean().optional().describe('Show enrolled students the top counted scores once results are released.'),
};

export const createQuizInput = z.strictObject(quizFields);
export type CreateQuizInput = z.infer<typeof createQuizInput>;

export const updateQuizInput = z
  .strictObject({
    ...quizFields,
    title: quizFields.title.optional(),
    score_released: releaseNow('the scores'),
    correctness_released: releaseNow('which questions were right'),
    answers_released: releaseNow('the right answers'),
  })
  .apply(atLeastOneField);
export type UpdateQuizInput = z.infer<typeof updateQuizInput>;

// Questions. Authoring marks right options with `correct`; the server stores that in the key.
const OPTION_ID = /^[A-Za-z0-9_-]{1,40}$/;
const optionInput = z.strictObject({
  id: z.string().regex(OPTION_ID, 'letters, digits, - and _ only').optional().describe('Keep an option’s id when editing; new options get one.'),
  text: text(1000).min(1, 'is required'),
  correct: z.boolean().default(false),
});
const optionsInput = z.array(optionInput).min(2, 'give at least 2 options').max(20, 'at most 20 options');

const common = {
  prompt: markdownSchema.trim().min(1, 'is required'),
  points: z.number().min(0).max(1000).default(1),
  position: z.number().int().min(1).optional().describe('1-based place in the quiz; the end when left out.'),
};

const uniqueOptionIds = (options: { id?: string }[], ctx: z.RefinementCtx) => {
  const ids = options.map((o) => o.id).filter((id): id is string => id !== undefined);
  if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['options'], message: 'option ids must be unique' });
};

const singleChoice = z.strictObject({ type: z.literal('single_choice'), ...common, options: optionsInput }).superRefine((q, ctx) => {
  uniqueOptionIds(q.options, ctx);
  if (q.options.filter((o) => o.correct).length !== 1) ctx.addIssue({ code: 'custom', path: ['options'], message: 'mark exactly one option correct' });
});
const multipleChoice = z
  .strictObject({
    type: z.literal('multiple_choice'),
    ...common,
    options: optionsInput,
    scoring: z
      .enum(['all_or_nothing', 'partial'])
      .default('all_or_nothing')
      .describe('partial: max(0, (right chosen − wrong chosen) / right options) × points'),
  })
  .superRefine((q, ctx) => {
    uniqueOptionIds(q.options, ctx);
    if (!q.options.some((o) => o.correct)) ctx.addIssue({ code: 'custom', path: ['options'], message: 'mark at least one option correct' });
  });
const trueFalse = z.strictObject({ type: z.literal('true_false'), ...common, correct: z.boolean() });
const acceptedAnswers = z.array(text(500).min(1, 'must not be blank')).max(50);
const shortAnswer = z
  .strictObject({
    type: z.literal('short_answer'),
    ...common,
    grading: z.enum(['auto', 'manual']).default('auto'),
    accepted_answers: acceptedAnswers.optional().describe('Compared after trimming, collapsing spaces and lower-casing.'),
  })
  .superRefine((q, ctx) => {
    if (q.grading === 'auto' && !q.accepted_answers?.length)
      ctx.addIssue({ code: 'custom', path: ['accepted_answers'], message: 'give at least one accepted answer, or grading: manual' });
  });
const numeric = z.strictObject({ type: z.literal('numeric'), ...common, answer: z.number(), tolerance: z.number().min(0).default(0) });
const longAnswer = z.strictObject({ type: z.literal('long_answer'), ...common });

export const questionInput = z.discriminatedUnion('type', [singleChoice, multipleChoice, trueFalse, shortAnswer, numeric, longAnswer]).meta({
  examples: [
    {
      type: 'single_choice',
      prompt: 'What is 7 × 8?',
      points: 1,
      options: [
        { text: '56', correct: true },
        { text: '54', correct: false },
      ],
    },
  ],
});
export type QuestionInput = z.infer<typeof questionInput>;

export const QUESTION_TYPE_NAMES = [
  'single_choice',
  'multiple_choice',
  'true_false',
  'short_answer',
  'numeric',
  'long_answer',
] as const satisfies readonly QuestionType[];

/** A partial question; merged with the stored one and checked as a whole by questionInput. */
export const updateQuestionInput = z
  .strictObject({
    type: z.enum(QUESTION_TYPE_NAMES).optional(),
    prompt: common.prompt.optional(),
    points: z.number().min(0).max(1000).optional(),
    position: common.position,
    options: optionsInput.optional(),
    scoring: z.enum(['all_or_nothing', 'partial']).optional(),
    correct: z.boolean().optional(),
    grading: z.enum(['auto', 'manual']).optional(),
    accepted_answers: acceptedAnswers.optional(),
    answer: z.number().optional(),
    tolerance: z.number().min(0).optional(),
  })
  .apply(atLeastOneField);
export type UpdateQuestionInput = z.infer<typeof updateQuestionInput>;

/** A corrected key (and, if need be, points or scoring) for a question already answered. */
export const regradeInput = z
  .strictObject({
    correct_option_ids: z.array(z.string().regex(OPTION_ID)).min(1).max(20).optional().describe('single_choice (one) and multiple_choice.'),
    correct: z.boolean().optional().describe('true_false.'),
    accepted_answers: acceptedAnswers.min(1).optional().describe('short_answer graded automatically.'),
    answer: z.number().optional().describe('numeric.'),
    tolerance: z.number().min(0).optional().describe('numeric.'),
    points: z.number().min(0).max(1000).optional(),
    scoring: z.enum(['all_or_nothing', 'partial']).optional().describe('multiple_choice.'),
  })
  .apply(atLeastOneField);
export type RegradeInput = z.infer<typeof regradeInput>;

export const answerInput = z.strictObject({
  response: z
    .union([z.record(z.string(), z.unknown()), z.null()])
    .describe(
      'By question type: {option_id} (single_choice), {option_ids} (multiple_choice), {value: boolean} (true_false), {value: number} (numeric), {text} (short_answer, long_answer); null clears it.',
    ),
  sequence: z
    .number()
    .int()
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe('Optional, increasing per save on the client: a retried older save never overwrites a newer one.'),
});
export type AnswerInput = z.infer<typeof answerInput>;

export const gradeInput = z.strictObject({
  score: z.number().min(0),
  feedback: text(5000).nullable().optional(),
});
export type GradeInput = z.infer<typeof gradeInput>;

/** Built schemas, by question type and option ids (all a schema depends on): an exam hall saves
 * answers to the same few questions thousands of times, and building a zod schema per save showed
 * in the profile. Bounded; an edited question has new option ids and so a key of its own. */
const responseSchemas = new LRUCache<string, z.ZodType>({ max: 5_000 });

/** The shape a saved response must have for its question (checked when it is saved). */
export function responseSchema(question: { type: QuestionType; options: Option[] }): z.ZodType {
  const key = `${question.type}:${question.options.map((o) => o.id).join(',')}`;
  let schema = responseSchemas.get(key);
  if (!schema) {
    schema = buildResponseSchema(question);
    responseSchemas.set(key, schema);
  }
  return schema;
}

function buildResponseSchema(question: { type: QuestionType; options: Option[] }): z.ZodType {
  const ids = new Set(question.options.map((o) => o.id));
  const optionId = z.string().refine((id) => ids.has(id), 'is not an option of this question');
  switch (question.type) {
    case 'single_choice':
      return z.strictObject({ option_id: optionId });
    case 'multiple_choice':
      return z.strictObject({
        option_ids: z
          .array(optionId)
          .max(ids.size)
          .refine((v) => new Set(v).size === v.length, 'must not repeat an option'),
      });
    case 'true_false':
      return z.strictObject({ value: z.boolean() });
    case 'numeric':
      return z.strictObject({ value: z.number() });
    case 'short_answer':
      return z.strictObject({ text: z.string().max(1000) });
    case 'long_answer':
      return z.strictObject({ text: z.string().max(20_000) });
  }
}

// Views. Parts a viewer may not read (CASL field rules, api/quizzes/rules.ts) are left out.
const instant = z.string().describe('ISO 8601, UTC');
const local = z.string().nullable().describe('The same instant on the school’s wall clock');

export const quizView = z.object({
  id: z.uuid(),
  class_id: z.uuid(),
  title: z.string(),
  instructions: z.string().optional(),
  instructions_html: z.string().optional(),
  opens_at: instant.nullable().optional(),
  opens_at_local: local.optional(),
  closes_at: instant.nullable().optional(),
  closes_at_local: local.optional(),
  time_limit_minutes: z.number().nullable().optional(),
  attempts_allowed: z.number().nullable().optional().describe('null: unlimited'),
  counted_attempt: z.enum(['highest', 'latest', 'first']).optional(),
  shuffle_questions: z.boolean().optional(),
  shuffle_options: z.boolean().optional(),
  score_release: z.enum(RELEASE_MOMENTS).optional(),
  correctness_release: z.enum(RELEASE_MOMENTS).optional(),
  answers_release: z.enum(RELEASE_MOMENTS).optional(),
  score_released: z.boolean().optional().describe('Every student’s score is out (released by hand, or closed for everyone when not manual).'),
  correctness_released: z.boolean().optional().describe('Which questions were right is out for everyone.'),
  answers_released: z.boolean().optional().describe('The right answers are out for everyone.'),
  leaderboard: z.boolean().optional(),
  status: z.enum(['draft', 'published']).optional(),
  published_at: instant.nullable().optional(),
  points_possible: z.number().optional(),
  question_count: z.number().optional(),
  created_at: instant.optional(),
  updated_at: instant.optional(),
});
export type QuizView = z.infer<typeof quizView>;

const keyView = z.object({
  correct_option_ids: z.array(z.string()).optional(),
  correct: z.boolean().optional(),
  accepted_answers: z.array(z.string()).optional(),
  answer: z.number().optional(),
  tolerance: z.number().optional(),
});

export const questionView = z.object({
  id: z.uuid(),
  quiz_id: z.uuid(),
  position: z.number(),
  type: z.enum(QUESTION_TYPE_NAMES),
  prompt: z.string(),
  prompt_html: z.string(),
  points: z.number(),
  grading: z.enum(['auto', 'manual']),
  options: z.array(z.object({ id: z.string(), text: z.string(), correct: z.boolean() })).optional(),
  scoring: z.enum(['all_or_nothing', 'partial']).optional(),
  correct: z.boolean().optional(),
  accepted_answers: z.array(z.string()).optional(),
  answer: z.number().optional(),
  tolerance: z.number().optional(),
});
export type QuestionView = z.infer<typeof questionView>;

export const attemptQuestionView = z.object({
  id: z.uuid(),
  position: z.number().describe('1-based, in this attempt’s order'),
  type: z.enum(QUESTION_TYPE_NAMES),
  prompt: z.string(),
  prompt_html: z.string(),
  points: z.number(),
  options: z
    .array(z.object({ id: z.string(), text: z.string() }))
    .optional()
    .describe('In this attempt’s order'),
  response: z.unknown().optional(),
  saved_at: instant.nullable().optional(),
  score: z.number().nullable().optional().describe('This question’s score once correctness is released; null: waiting for a teacher'),
  feedback: z.string().nullable().optional(),
  key: keyView.optional(),
});
export type AttemptQuestionView = z.infer<typeof attemptQuestionView>;

export const attemptView = z.object({
  id: z.uuid(),
  quiz_id: z.uuid(),
  student_id: z.uuid(),
  number: z.number(),
  status: z.enum(['in_progress', 'submitted']),
  started_at: instant.optional(),
  deadline_at: instant.nullable().optional(),
  submitted_at: instant.nullable().optional(),
  finished_by: z.enum(['student', 'deadline']).nullable().optional(),
  seconds_left: z.number().nullable().optional().describe('Until the deadline, by the server’s clock; null when untimed or finished.'),
  grace_seconds: z.number().optional(),
  score: z.number().nullable().optional(),
  points_possible: z.number().optional(),
  needs_grading: z.boolean().optional(),
  counted: z.boolean().optional(),
  questions: z.array(attemptQuestionView).optional(),
});
export type AttemptView = z.infer<typeof attemptView>;

export const answerView = z.object({
  attempt_id: z.uuid(),
  question_id: z.uuid(),
  response: z.unknown(),
  sequence: z.number().nullable(),
  saved_at: instant,
  applied: z.boolean().describe('false: a newer save (higher sequence) was already stored; the stored one is returned.'),
});
export type AnswerView = z.infer<typeof answerView>;

export const studentStatus = z.enum(['not_started', 'in_progress', 'submitted', 'needs_grading']);

export const resultRowView = z.object({
  student: z.object({ id: z.uuid(), first_name: z.string(), last_name: z.string() }),
  status: studentStatus,
  attempts: z.number(),
  score: z.number().nullable().describe('The counted attempt’s score'),
  counted_attempt_id: z.uuid().nullable(),
  latest_attempt_id: z.uuid().nullable(),
});
export type ResultRowView = z.infer<typeof resultRowView>;

export const myResultsView = z.object({
  quiz_id: z.uuid(),
  student_id: z.uuid(),
  status: studentStatus,
  attempts_used: z.number(),
  attempts_left: z.number().nullable().describe('null: unlimited'),
  open_attempt_id: z.uuid().nullable(),
  score_released: z.boolean().describe('The counted attempt’s score may be shown'),
  score: z.number().nullable(),
  points_possible: z.number(),
  counted_attempt_id: z.uuid().nullable(),
});
export type MyResultsView = z.infer<typeof myResultsView>;

export const questionStatsView = z.object({
  question_id: z.uuid(),
  position: z.number(),
  type: z.enum(QUESTION_TYPE_NAMES),
  points: z.number(),
  answered: z.number(),
  percent_correct: z.number().nullable().describe('Full marks among counted attempts, in percent; null before any'),
  average_score: z.number().nullable(),
  needs_grading: z.number(),
  options: z.array(z.object({ id: z.string(), text: z.string(), correct: z.boolean(), count: z.number() })).optional(),
});
export type QuestionStatsView = z.infer<typeof questionStatsView>;

export const leaderboardEntryView = z.object({
  rank: z.number(),
  name: z.string().describe('First name and last initial'),
  score: z.number(),
  me: z.boolean(),
});
export type LeaderboardEntryView = z.infer<typeof leaderboardEntryView>;
