import { Model } from 'objection';
import { column, existsWhere, type FieldMap, type FieldSql } from '../access/query.ts';
import { classMemberFields } from '../classes/model.ts';

export type QuestionType = 'single_choice' | 'multiple_choice' | 'true_false' | 'short_answer' | 'numeric' | 'long_answer';
export const QUESTION_TYPES: readonly QuestionType[] = ['single_choice', 'multiple_choice', 'true_false', 'short_answer', 'numeric', 'long_answer'];
export type CountedAttempt = 'highest' | 'latest' | 'first';
export type ReleaseMoment = 'after_attempt' | 'after_close' | 'manual';
export type Scoring = 'all_or_nothing' | 'partial';
export type Grading = 'auto' | 'manual';

export type Option = { id: string; text: string };
/** The answer key as stored: only the part for the question's type is present. */
export type Key = {
  correct_option_ids?: string[];
  correct?: boolean;
  accepted_answers?: string[];
  answer?: number;
  tolerance?: number;
};

export class Quiz extends Model {
  static override tableName = 'quizzes';
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare title: string;
  declare instructions: string;
  declare opens_at: Date | null;
  declare closes_at: Date | null;
  declare time_limit_minutes: number | null;
  declare attempts_allowed: number | null;
  declare counted_attempt: CountedAttempt;
  declare shuffle_questions: boolean;
  declare shuffle_options: boolean;
  /** When each part is released to students (api/quizzes/policy.ts); *_released_at: by hand. */
  declare score_release: ReleaseMoment;
  declare correctness_release: ReleaseMoment;
  declare answers_release: ReleaseMoment;
  declare score_released_at: Date | null;
  declare correctness_released_at: Date | null;
  declare answers_released_at: Date | null;
  declare leaderboard: boolean;
  declare status: 'draft' | 'published';
  declare published_at: Date | null;
  /** numeric: pg hands it over as a string. */
  declare points_possible: string;
  declare question_count: number;
  declare created_by: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

export class QuizQuestion extends Model {
  static override tableName = 'quiz_questions';
  declare tenant_id: string;
  declare id: string;
  declare quiz_id: string;
  declare position: number;
  declare type: QuestionType;
  declare prompt: string;
  declare points: string;
  declare options: Option[];
  declare key: Key;
  declare scoring: Scoring | null;
  declare grading: Grading;
  declare created_at: Date;
  declare updated_at: Date;
}

export class QuizAttempt extends Model {
  static override tableName = 'quiz_attempts';
  declare tenant_id: string;
  declare id: string;
  declare quiz_id: string;
  declare class_id: string;
  declare student_id: string;
  declare number: number;
  declare started_at: Date;
  declare deadline_at: Date | null;
  declare submitted_at: Date | null;
  declare finished_by: 'student' | 'deadline' | null;
  declare score: string | null;
  declare needs_grading: boolean;
  declare counted: boolean;
  declare question_order: string[];
  declare option_order: Record<string, string[]>;
  declare created_at: Date;
  declare updated_at: Date;
}

export class QuizAnswer extends Model {
  static override tableName = 'quiz_answers';
  declare tenant_id: string;
  declare id: string;
  declare attempt_id: string;
  declare question_id: string;
  declare response: unknown;
  declare score: string | null;
  declare feedback: string | null;
  declare graded_by: string | null;
  declare graded_at: Date | null;
  declare client_sequence: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

const flag =
  (sql: string): FieldSql =>
  (qb, operator, value) => {
    if (operator !== 'eq' || typeof value !== 'boolean') throw new Error(`boolean rule fields support equality only, got ${operator}`);
    if (value) qb.whereRaw(sql);
    else qb.whereRaw(`not (${sql})`);
  };

/** SQL for the Quiz rule fields in api/quizzes/rules.ts. */
export const QUIZ_FIELDS = {
  id: column('quizzes.id'),
  classId: column('quizzes.class_id'),
  ...classMemberFields('quizzes'),
  published: flag('quizzes.published_at is not null'),
} satisfies FieldMap;

/** SQL for the QuizAttempt rule fields. `studentIds`: the given user is enrolled in the
 * attempt's class as a student (membership is part of the attempt rule, as for submissions).
 * A guardian's attempts are those of their linked students while the student is enrolled in the
 * attempt's class (classMemberFields' guardianIds would mean "any student of the class"). */
export const ATTEMPT_FIELDS = {
  id: column('quiz_attempts.id'),
  studentId: column('quiz_attempts.student_id'),
  teacherIds: classMemberFields('quiz_attempts').teacherIds,
  studentIds: classMemberFields('quiz_attempts').studentIds,
  guardianIds: existsWhere(
    `select 1 from guardian_links g join enrollments e on e.tenant_id = g.tenant_id and e.user_id = g.student_id and e.role = 'student'
      where g.tenant_id = quiz_attempts.tenant_id and g.student_id = quiz_attempts.student_id and e.class_id = quiz_attempts.class_id and g.guardian_id = ?`,
  ),
} satisfies FieldMap;

/** Rule fields with no SQL: release facts that only field-restricted `cannot` rules test, which
 * CASL leaves out of rulesToAST; api/quizzes/visibility.ts computes them per record. */
export type QuizFact = 'leaderboardOpen';
export type AttemptFact = 'scoreReleased' | 'correctnessReleased' | 'answersReleased';

export const toNumber = (value: string | number | null | undefined): number | null => (value === null || value === undefined ? null : Number(value));
