// The move from one results policy to three release settings (migration 20261126000200), run on
// a scratch copy of the old quizzes columns: no existing quiz shows more than it did, and the
// leaks the old policy had (per-question scores at once, the key once a student's attempts ran
// out) are closed.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { down, up } from '../../migrations/20261126000200_quiz-release-moments.ts';
import { testEnv } from '../helpers/env.ts';

const PAST = '2026-01-10T10:00:00Z';
const FUTURE = '2999-01-10T10:00:00Z';
const RELEASED = '2026-01-05T10:00:00Z';

test('each old policy maps to release moments that show nothing more than before', async (t) => {
  const { dbs } = testEnv();
  const schema = `scratch_${randomBytes(4).toString('hex')}`;
  await dbs.owner.raw(`create schema ${schema}`);
  try {
    await dbs.owner.transaction(async (trx) => {
      await trx.raw(`set local search_path = ${schema}`);
      await trx.raw(`
        create table quizzes (
          id text primary key,
          closes_at timestamptz,
          results_policy text not null default 'immediately',
          results_released_at timestamptz);
        alter table quizzes add constraint quizzes_results_policy check (results_policy in ('immediately', 'after_close', 'never'));
        alter table quizzes add constraint quizzes_after_close check (results_policy <> 'after_close' or closes_at is not null);`);
      await trx('quizzes').insert([
        { id: 'immediately', closes_at: FUTURE, results_policy: 'immediately' },
        { id: 'immediately-open-ended', closes_at: null, results_policy: 'immediately' },
        { id: 'after-close', closes_at: FUTURE, results_policy: 'after_close' },
        { id: 'never', closes_at: FUTURE, results_policy: 'never' },
        { id: 'never-released-open', closes_at: FUTURE, results_policy: 'never', results_released_at: RELEASED },
        { id: 'never-released-closed', closes_at: PAST, results_policy: 'never', results_released_at: RELEASED },
      ]);
      await up(trx);
      const rows = await trx('quizzes')
        .orderBy('id')
        .select('id', 'score_release', 'correctness_release', 'answers_release', 'score_released_at', 'correctness_released_at', 'answers_released_at');
      const byId = Object.fromEntries(
        rows.map((r) => [
          r.id,
          [
            r.score_release,
            r.correctness_release,
            r.answers_release,
            ...[r.score_released_at, r.correctness_released_at, r.answers_released_at].map((d) => (d ? 'released' : null)),
          ],
        ]),
      );
      t.deepEqual(byId, {
        // The score as before; per-question scores and the key wait for the close.
        immediately: ['after_attempt', 'after_close', 'after_close', null, null, null],
        'immediately-open-ended': ['after_attempt', 'after_close', 'after_close', null, null, null],
        'after-close': ['after_close', 'after_close', 'after_close', null, null, null],
        never: ['manual', 'manual', 'manual', null, null, null],
        // Released by hand: scores and correctness stay out; the key only where the quiz had closed
        // (before, it also waited for the close, or for a student to use every attempt).
        'never-released-open': ['manual', 'manual', 'manual', 'released', 'released', null],
        'never-released-closed': ['manual', 'manual', 'manual', 'released', 'released', 'released'],
      });
      const refused = await t.throwsAsync(trx.raw(`savepoint s; update quizzes set correctness_release = 'after_attempt' where id = 'after-close'`));
      t.regex(refused?.message ?? '', /quizzes_release_order/);
      await trx.raw('rollback to savepoint s');

      await down(trx);
      t.deepEqual(
        await trx('quizzes').orderBy('id').select('id', 'results_policy', trx.raw('results_released_at is not null as released')),
        [
          { id: 'after-close', results_policy: 'after_close', released: false },
          { id: 'immediately', results_policy: 'immediately', released: false },
          { id: 'immediately-open-ended', results_policy: 'immediately', released: false },
          { id: 'never', results_policy: 'never', released: false },
          { id: 'never-released-closed', results_policy: 'never', released: true },
          { id: 'never-released-open', results_policy: 'never', released: true },
        ],
        'and back',
      );
    });
  } finally {
    await dbs.owner.raw(`drop schema ${schema} cascade`);
  }
});
