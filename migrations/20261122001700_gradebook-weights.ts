// Optional category weights per class ({ "homework": 40, "quizzes": 60 }): null means every
// point counts the same (total points earned ÷ total points possible).
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('classes', (t) => {
    t.jsonb('grade_weights');
  });
  await knex.raw(`alter table classes add constraint classes_grade_weights check (grade_weights is null or jsonb_typeof(grade_weights) = 'object')`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('classes', (t) => {
    t.dropColumn('grade_weights');
  });
}
