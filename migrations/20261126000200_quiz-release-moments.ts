// Three things a teacher releases, each at its own moment, instead of one results policy:
// the score, which questions were right (per-question scores and feedback), and the right
// answers. Moments: after_attempt (once that attempt is submitted), after_close (once the quiz
// has closed for everyone), manual (only when a teacher releases it: *_released_at).
// Existing quizzes keep showing nothing they did not show before:
//   immediately → score after_attempt; correctness and answers after_close (per-question scores
//                 were shown at once, which gives away a true/false key; the key was shown to a
//                 student with no attempt left while classmates were still sitting the quiz)
//   after_close → all three after_close
//   never       → all three manual
// A manual release (results_released_at) carries over to the score and the correctness; the
// answers only where the quiz has already closed (before, the key also waited for that, or for
// the student to have used every attempt, which no longer releases anything).
import type { Knex } from 'knex';

const MOMENTS = "('after_attempt', 'after_close', 'manual')";
const rank = (column: string) => `(case ${column} when 'after_attempt' then 0 when 'after_close' then 1 else 2 end)`;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('quizzes', (t) => {
    t.text('score_release').notNullable().defaultTo('after_attempt');
    t.text('correctness_release').notNullable().defaultTo('after_close');
    t.text('answers_release').notNullable().defaultTo('after_close');
    t.timestamp('score_released_at', { useTz: true });
    t.timestamp('correctness_released_at', { useTz: true });
    t.timestamp('answers_released_at', { useTz: true });
  });
  await knex.raw(`
    update quizzes set
      score_release = case results_policy when 'immediately' then 'after_attempt' when 'after_close' then 'after_close' else 'manual' end,
      correctness_release = case results_policy when 'never' then 'manual' else 'after_close' end,
      answers_release = case results_policy when 'never' then 'manual' else 'after_close' end,
      score_released_at = results_released_at,
      correctness_released_at = results_released_at,
      answers_released_at = case when closes_at is not null and closes_at <= now() then results_released_at end`);
  await knex.raw('alter table quizzes drop constraint quizzes_after_close');
  await knex.raw('alter table quizzes drop constraint quizzes_results_policy');
  await knex.schema.alterTable('quizzes', (t) => {
    t.dropColumn('results_policy');
    t.dropColumn('results_released_at');
  });
  for (const part of ['score', 'correctness', 'answers']) {
    await knex.raw(`alter table quizzes add constraint quizzes_${part}_release check (${part}_release in ${MOMENTS})`);
  }
  // Each part gives the one before it away (per-question scores add up to the score; the key and
  // the student's own answers give which were right): never released before it.
  await knex.raw(
    `alter table quizzes add constraint quizzes_release_order check (${rank('score_release')} <= ${rank('correctness_release')} and ${rank('correctness_release')} <= ${rank('answers_release')})`,
  );
}

// Back to one policy, from the score's moment. The old policy cannot say "score now, the rest
// later": after a rollback such quizzes show what `immediately` showed.
export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('quizzes', (t) => {
    t.text('results_policy').notNullable().defaultTo('immediately');
    t.timestamp('results_released_at', { useTz: true });
  });
  await knex.raw(`
    update quizzes set
      results_policy = case
        when score_release = 'after_attempt' then 'immediately'
        when score_release = 'after_close' and closes_at is not null then 'after_close'
        else 'never' end,
      results_released_at = score_released_at`);
  await knex.raw('alter table quizzes drop constraint quizzes_release_order');
  for (const part of ['score', 'correctness', 'answers']) {
    await knex.raw(`alter table quizzes drop constraint quizzes_${part}_release`);
  }
  await knex.schema.alterTable('quizzes', (t) => {
    for (const part of ['score', 'correctness', 'answers']) {
      t.dropColumn(`${part}_release`);
      t.dropColumn(`${part}_released_at`);
    }
  });
  await knex.raw(`alter table quizzes add constraint quizzes_results_policy check (results_policy in ('immediately', 'after_close', 'never'))`);
  await knex.raw(`alter table quizzes add constraint quizzes_after_close check (results_policy <> 'after_close' or closes_at is not null)`);
}
