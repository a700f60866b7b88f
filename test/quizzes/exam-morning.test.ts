// The exam morning in small: a class starts, autosaves and submits at the same moment while the
// teacher regrades a question and watches the results. Nothing fails, nothing is graded twice,
// and every score matches the corrected key.
import test from 'ava';
import { addMember } from '../../api/classes/service.ts';
import { createPerson, inSchool } from '../helpers/factories.ts';
import { makeQuiz, quizWorld, RIGHT, start, submit } from '../helpers/quizzes.ts';

const CLASS_SIZE = 24;

test('a whole class at once, with a regrade in the middle: no errors, one grading each, scores by the final key', async (t) => {
  const w = await quizWorld();
  const students = await Promise.all(
    Array.from({ length: CLASS_SIZE }, (_, i) => createPerson(w.school, 'student', { first_name: `S${i}`, last_name: `Row${i}` })),
  );
  await inSchool(w.school, async (scope) => {
    for (const s of students) await addMember(scope, w.klass.id, { user_id: s.id, role: 'student' });
  });
  const quiz = await makeQuiz(w, { time_limit_minutes: 30, shuffle_questions: true, shuffle_options: true }, ['single', 'trueFalse']);
  const single = quiz.questions.single?.id as string;
  const trueFalse = quiz.questions.trueFalse?.id as string;

  const starts = await Promise.all(students.map((s) => start(w, s, quiz.id)));
  t.deepEqual(
    starts.map((r) => r.status),
    students.map(() => 201),
  );
  const attempts = starts.map((r) => r.body.id as string);
  // Half choose venus, half jupiter; everyone answers the true/false right. Saves of one
  // student race each other too.
  const saves = await Promise.all(
    students.flatMap((s, i) => [
      w.request(s, 'PUT', `/api/v1/quiz-attempts/${attempts[i]}/answers/${single}`, { response: { option_id: i % 2 ? 'venus' : 'jupiter' } }),
      w.request(s, 'PUT', `/api/v1/quiz-attempts/${attempts[i]}/answers/${trueFalse}`, { response: RIGHT.trueFalse }),
    ]),
  );
  t.true(
    saves.every((r) => r.status === 200),
    JSON.stringify(saves.find((r) => r.status !== 200)?.body),
  );

  const [submits, regrade, results] = await Promise.all([
    Promise.all(students.flatMap((s, i) => [submit(w, s, attempts[i] as string), submit(w, s, attempts[i] as string)])),
    w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions/${single}/regrade`, { correct_option_ids: ['venus'] }),
    w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/results?limit=100`),
  ]);
  t.true(
    submits.every((r) => r.status === 200),
    JSON.stringify(submits.find((r) => r.status !== 200)?.body),
  );
  t.is(regrade.status, 200);
  t.is(results.status, 200);

  const rows = await inSchool(w.school, (scope) =>
    scope.db('quiz_attempts').where('quiz_id', quiz.id).select('id', 'score', 'counted', 'submitted_at').orderBy('id'),
  );
  t.is(rows.length, CLASS_SIZE);
  for (const row of rows) {
    const i = attempts.indexOf(row.id);
    t.not(row.submitted_at, null);
    t.true(row.counted);
    t.is(Number(row.score), (i % 2 ? 2 : 0) + 1, `student ${i}: scored with the corrected key`);
  }
  const graded = await inSchool(w.school, (scope) =>
    scope.db('audit_events').where('action', 'quiz.attempt_submitted').whereIn('target_id', attempts).count({ n: '*' }).first(),
  );
  t.is(Number(graded?.n), CLASS_SIZE, 'each attempt graded once, though submitted twice');
});
