// docs/permissions.md, "Quizzes" rows. Two layers, both stated here:
//  - rows: rules whose conditions use the SQL-mapped fields of api/quizzes/model.ts (QUIZ_FIELDS,
//    ATTEMPT_FIELDS); lists and single reads filter with them in the database.
//  - fields: which parts of a quiz or attempt a role may read. Students and guardians get an
//    allow-list, and `cannot` rules on the release facts (scoreReleased, correctnessReleased,
//    answersReleased, leaderboardOpen; api/quizzes/policy.ts) take the score, the per-question
//    results, the answer key and the leaderboard away until the teacher's release settings allow
//    them. They test `$ne: true`, so a fact left out hides rather than shows; each part also
//    hides the parts after it, since they would give it away.
//    Field-restricted `cannot` rules never reach the SQL filter (CASL leaves them out of
//    rulesToAST); api/quizzes/presenter.ts evaluates them on facts it computes.
import type { FeatureRules } from '../access/ability.ts';

/** Everything a quiz view may show; `questions` (with the key) and `leaderboard_entries` are the sensitive parts. */
export const QUIZ_SUMMARY_FIELDS = [
  'id',
  'class_id',
  'title',
  'instructions',
  'window',
  'time_limit_minutes',
  'attempts_allowed',
  'counted_attempt',
  'shuffle',
  'release',
  'released',
  'leaderboard',
  'status',
  'points_possible',
  'question_count',
  'timestamps',
] as const;
export const QUIZ_ALL_FIELDS = [...QUIZ_SUMMARY_FIELDS, 'questions', 'leaderboard_entries'] as const;
export type QuizField = (typeof QUIZ_ALL_FIELDS)[number];

export const ATTEMPT_SUMMARY_FIELDS = ['id', 'quiz_id', 'student_id', 'number', 'status', 'times'] as const;
/** `questions`: prompts and options in the student's order; `responses`: what they saved;
 * `score`: the attempt's score; `correctness`: each question's score and feedback (which were
 * right); `key`: the right answers. */
export const ATTEMPT_ALL_FIELDS = [...ATTEMPT_SUMMARY_FIELDS, 'questions', 'responses', 'score', 'correctness', 'key'] as const;
export type AttemptField = (typeof ATTEMPT_ALL_FIELDS)[number];

export const quizRules: FeatureRules = ({ can, cannot }, actor) => {
  if (actor.type !== 'user') return;
  const { id, role } = actor.user;
  switch (role) {
    case 'admin':
      can('manage', 'Quiz');
      can('manage', 'QuizAttempt');
      // Admins oversee quizzes; only students take them.
      cannot('submit', 'Quiz');
      cannot('submit', 'QuizAttempt');
      return;
    case 'teacher':
      // Which class: writableClass (a class they teach) decides on create.
      can('create', 'Quiz');
      can(['read', 'update', 'delete', 'grade'], 'Quiz', { teacherIds: id });
      can(['read', 'grade'], 'QuizAttempt', { teacherIds: id });
      return;
    case 'student':
      can('read', 'Quiz', [...QUIZ_SUMMARY_FIELDS, 'leaderboard_entries'], { studentIds: id, published: true });
      cannot('read', 'Quiz', ['leaderboard_entries'], { leaderboardOpen: { $ne: true } });
      // Starting an attempt.
      can('submit', 'Quiz', { studentIds: id, published: true });
      // Their own attempts, while they are enrolled in the class (a removed student loses them).
      can('read', 'QuizAttempt', [...ATTEMPT_ALL_FIELDS], { studentId: id, studentIds: id });
      cannot('read', 'QuizAttempt', ['score', 'correctness', 'key'], { scoreReleased: { $ne: true } });
      cannot('read', 'QuizAttempt', ['correctness', 'key'], { correctnessReleased: { $ne: true } });
      cannot('read', 'QuizAttempt', ['key'], { answersReleased: { $ne: true } });
      // Saving answers and submitting.
      can('submit', 'QuizAttempt', { studentId: id, studentIds: id });
      return;
    case 'guardian':
      // Never questions, answers or keys: the quiz itself and their students' results.
      can('read', 'Quiz', [...QUIZ_SUMMARY_FIELDS], { guardianIds: id, published: true });
      can('read', 'QuizAttempt', [...ATTEMPT_SUMMARY_FIELDS, 'score'], { guardianIds: id });
      cannot('read', 'QuizAttempt', ['score'], { scoreReleased: { $ne: true } });
      return;
  }
};
