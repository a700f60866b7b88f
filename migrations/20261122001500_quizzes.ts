// Quizzes per class, their ordered questions (with the answer key kept in its own column, so
// no view can hand it out by spreading a row), students' attempts and their saved answers.
// Contract for the gradebook and dashboard: a student's result for a quiz is the one attempt
// with `counted = true` (at most one per quiz and student, kept in step by the quiz service
// whenever an attempt is submitted, graded or regraded, or the counting rule changes); its
// `score` is final when `needs_grading` is false. See api/quizzes/CONTEXT.md.
import type { Knex } from 'knex';
import { createTenantTable, dropTenantTable, tenantReference } from '../tenants/schema.ts';

export async function up(knex: Knex): Promise<void> {
  await createTenantTable(knex, 'quizzes', (t) => {
    t.uuid('class_id').notNullable();
    t.text('title').notNullable();
    t.text('instructions').notNullable().defaultTo('');
    // null: no bound on that side of the window.
    t.timestamp('opens_at', { useTz: true });
    t.timestamp('closes_at', { useTz: true });
    // null: untimed.
    t.integer('time_limit_minutes');
    // null: unlimited.
    t.integer('attempts_allowed');
    t.text('counted_attempt').notNullable().defaultTo('highest');
    t.boolean('shuffle_questions').notNullable().defaultTo(false);
    t.boolean('shuffle_options').notNullable().defaultTo(false);
    t.text('results_policy').notNullable().defaultTo('immediately');
    // Set when a teacher releases results by hand (the only way under 'never'; early otherwise).
    t.timestamp('results_released_at', { useTz: true });
    t.boolean('leaderboard').notNullable().defaultTo(false);
    t.text('status').notNullable().defaultTo('draft');
    t.timestamp('published_at', { useTz: true });
    // Kept in step with quiz_questions by the service (sum of points, number of questions).
    t.decimal('points_possible', 10, 2).notNullable().defaultTo(0);
    t.integer('question_count').notNullable().defaultTo(0);
    // No foreign key to users, as with homework.created_by: what a teacher set outlives them.
    t.uuid('created_by');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    // The target of quiz_attempts' (tenant_id, class_id, quiz_id) reference.
    t.unique(['tenant_id', 'class_id', 'id']);
    t.index(['tenant_id', 'class_id', 'title', 'id']);
  });
  await knex.raw(`alter table quizzes add constraint quizzes_counted_attempt check (counted_attempt in ('highest', 'latest', 'first'))`);
  await knex.raw(`alter table quizzes add constraint quizzes_results_policy check (results_policy in ('immediately', 'after_close', 'never'))`);
  await knex.raw(
    `alter table quizzes add constraint quizzes_status check (status in ('draft', 'published') and (status = 'published') = (published_at is not null))`,
  );
  await knex.raw('alter table quizzes add constraint quizzes_window check (opens_at is null or closes_at is null or closes_at > opens_at)');
  await knex.raw(`alter table quizzes add constraint quizzes_after_close check (results_policy <> 'after_close' or closes_at is not null)`);
  await knex.raw('alter table quizzes add constraint quizzes_time_limit check (time_limit_minutes is null or time_limit_minutes between 1 and 1440)');
  await knex.raw('alter table quizzes add constraint quizzes_attempts_allowed check (attempts_allowed is null or attempts_allowed between 1 and 10)');

  await createTenantTable(knex, 'quiz_questions', (t) => {
    t.uuid('quiz_id').notNullable();
    t.integer('position').notNullable();
    t.text('type').notNullable();
    t.text('prompt').notNullable();
    t.decimal('points', 8, 2).notNullable();
    // [{ id, text }]: what a student may see. Which are right is in `key` only.
    t.jsonb('options').notNullable().defaultTo('[]');
    // The answer key, by type: { correct_option_ids } | { correct } | { accepted_answers } |
    // { answer, tolerance } | {} (manual). Never sent to students before results allow it.
    t.jsonb('key').notNullable().defaultTo('{}');
    // multiple_choice only.
    t.text('scoring');
    t.text('grading').notNullable().defaultTo('auto');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    tenantReference(t, 'quiz_id', 'quizzes', 'CASCADE');
    t.index(['tenant_id', 'quiz_id', 'position', 'id']);
  });
  await knex.raw(
    `alter table quiz_questions add constraint quiz_questions_type check (type in ('single_choice', 'multiple_choice', 'true_false', 'short_answer', 'numeric', 'long_answer'))`,
  );
  await knex.raw('alter table quiz_questions add constraint quiz_questions_points check (points >= 0 and points <= 1000)');
  await knex.raw(`alter table quiz_questions add constraint quiz_questions_scoring check (scoring is null or scoring in ('all_or_nothing', 'partial'))`);
  await knex.raw(`alter table quiz_questions add constraint quiz_questions_grading check (grading in ('auto', 'manual'))`);
  await knex.raw(`alter table quiz_questions add constraint quiz_questions_json check (jsonb_typeof(options) = 'array' and jsonb_typeof(key) = 'object')`);

  await createTenantTable(knex, 'quiz_attempts', (t) => {
    t.uuid('quiz_id').notNullable();
    // Denormalised for class-scoped rules and reports; the reference below keeps it the quiz's class.
    t.uuid('class_id').notNullable();
    t.uuid('student_id').notNullable();
    // 1 for a student's first attempt at this quiz, 2 for the next...
    t.integer('number').notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    // min(started_at + time limit, closes_at); null when neither bounds it.
    t.timestamp('deadline_at', { useTz: true });
    // null: in progress. For an attempt closed by its deadline, the deadline itself.
    t.timestamp('submitted_at', { useTz: true });
    // 'student' (they submitted) or 'deadline' (closed for them when time ran out).
    t.text('finished_by');
    // Sum of the answers' scores once submitted; provisional while needs_grading.
    t.decimal('score', 10, 2);
    t.boolean('needs_grading').notNullable().defaultTo(false);
    // The attempt that stands for this student's result (see the file comment).
    t.boolean('counted').notNullable().defaultTo(false);
    // This student's order of question ids, and of option ids per question, fixed at start.
    t.jsonb('question_order').notNullable();
    t.jsonb('option_order').notNullable().defaultTo('{}');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.foreign(['tenant_id', 'class_id', 'quiz_id']).references(['tenant_id', 'class_id', 'id']).inTable('quizzes').onDelete('CASCADE');
    tenantReference(t, 'class_id', 'classes', 'CASCADE');
    tenantReference(t, 'student_id', 'users', 'CASCADE');
    // Two starts racing for the same attempt number: one wins, the other finds it.
    t.unique(['tenant_id', 'quiz_id', 'student_id', 'number']);
  });
  await knex.raw(
    `alter table quiz_attempts add constraint quiz_attempts_finished check ((submitted_at is null) = (finished_by is null) and (finished_by is null or finished_by in ('student', 'deadline')))`,
  );
  await knex.raw('alter table quiz_attempts add constraint quiz_attempts_counted check (not counted or submitted_at is not null)');
  await knex.raw('alter table quiz_attempts add constraint quiz_attempts_number check (number >= 1)');
  // At most one attempt in progress per student and quiz, and at most one counted.
  await knex.raw('create unique index quiz_attempts_open on quiz_attempts (tenant_id, quiz_id, student_id) where submitted_at is null');
  await knex.raw('create unique index quiz_attempts_counted_one on quiz_attempts (tenant_id, quiz_id, student_id) where counted');
  // The finaliser's scan: attempts in progress whose deadline has passed.
  await knex.raw('create index quiz_attempts_expiring on quiz_attempts (tenant_id, deadline_at) where submitted_at is null');

  await createTenantTable(knex, 'quiz_answers', (t) => {
    t.uuid('attempt_id').notNullable();
    t.uuid('question_id').notNullable();
    // By question type: { option_id } | { option_ids } | { value } | { text }; null = cleared.
    t.jsonb('response');
    // null: not graded yet (after submit: a manual question waiting for the teacher).
    t.decimal('score', 8, 2);
    t.text('feedback');
    // The teacher who graded it by hand; no foreign key, as with created_by.
    t.uuid('graded_by');
    t.timestamp('graded_at', { useTz: true });
    // Optional client counter: a retried older save never overwrites a newer one.
    t.bigInteger('client_sequence');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // Without tenantReference: the unique index below already serves lookups by attempt.
    t.foreign(['tenant_id', 'attempt_id']).references(['tenant_id', 'id']).inTable('quiz_attempts').onDelete('CASCADE');
    tenantReference(t, 'question_id', 'quiz_questions', 'CASCADE');
    // The autosave upsert's conflict target and the exam-morning hot path.
    t.unique(['tenant_id', 'attempt_id', 'question_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await dropTenantTable(knex, 'quiz_answers');
  await dropTenantTable(knex, 'quiz_attempts');
  await dropTenantTable(knex, 'quiz_questions');
  await dropTenantTable(knex, 'quizzes');
}
