// The "done when", end to end through the documented API only: a teacher sets up a class,
// posts homework and a quiz; students join by code and do them; grades go back; a guardian sees
// them. No factories beyond the school's people, no SQL.
import test from 'ava';
import { createPerson, createSchool } from '../helpers/factories.ts';
import { startApp } from '../helpers/http.ts';

test('a class runs from setup to grades, and a guardian follows along', async (t) => {
  let now = new Date(Math.ceil(Date.now() / 60_000) * 60_000);
  const app = await startApp({}, { clock: () => now });
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const sam = await createPerson(school, 'student', { first_name: 'Sam', last_name: 'Able' });
  const kim = await createPerson(school, 'student', { first_name: 'Kim', last_name: 'Best' });
  const guardian = await createPerson(school, 'guardian');
  const call = async (who: { token: string }, method: string, path: string, body?: unknown, expect = [200, 201, 204]) => {
    const res = await app.request(school.slug, method, path, { token: who.token, body });
    t.true(expect.includes(res.status), `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();

  // The teacher sets up the class, a resource, a notice, homework and a quiz.
  const klass = await call(teacher, 'POST', '/api/v1/classes', {
    name: 'Year 5 Science',
    subject: 'Science',
    term_start: '2026-09-01',
    term_end: '2027-07-15',
  });
  await call(teacher, 'POST', `/api/v1/classes/${klass.id}/resources`, { kind: 'link', title: 'Solar system video', url: 'https://example.org/planets' });
  const notice = await call(teacher, 'POST', `/api/v1/classes/${klass.id}/notices`, { title: 'Welcome', body: 'Bring a notebook.', publish_at: 'now' });
  const homework = await call(teacher, 'POST', `/api/v1/classes/${klass.id}/homework`, {
    title: 'Planet poster',
    instructions: 'Draw **one** planet.',
    points: 10,
    due_at: inDays(3),
    publish_at: 'now',
  });
  const quiz = await call(teacher, 'POST', `/api/v1/classes/${klass.id}/quizzes`, {
    title: 'Planets quiz',
    closes_at: inDays(2),
  });
  const q1 = await call(teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, {
    type: 'single_choice',
    prompt: 'Which planet is largest?',
    points: 2,
    options: [
      { id: 'mars', text: 'Mars' },
      { id: 'jupiter', text: 'Jupiter', correct: true },
    ],
  });
  const q2 = await call(teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, {
    type: 'numeric',
    prompt: 'How many planets?',
    points: 3,
    answer: 8,
    tolerance: 0,
  });
  await call(teacher, 'POST', `/api/v1/quizzes/${quiz.id}/publish`);

  // Students join with the code read off the board.
  const code = (await call(teacher, 'GET', `/api/v1/classes/${klass.id}`)).join_code as string;
  await call(sam, 'POST', '/api/v1/classes/join', { code: code.toLowerCase() });
  await call(kim, 'POST', '/api/v1/classes/join', { code });
  // The school office links a guardian to Sam.
  await call(school.admin, 'POST', `/api/v1/users/${sam.id}/guardians`, { guardian_id: guardian.id });

  // Sam's dashboard shows the work; Sam reads the notice, hands in the homework, takes the quiz.
  const dash = await call(sam, 'GET', '/api/v1/me/dashboard');
  t.deepEqual(
    dash.student.due_soon.map((d: { homework_id: string }) => d.homework_id),
    [homework.id],
  );
  t.deepEqual(
    dash.student.open_quizzes.map((q: { quiz_id: string }) => q.quiz_id),
    [quiz.id],
  );
  await call(sam, 'POST', `/api/v1/notices/${notice.id}/read`);
  await call(sam, 'PUT', `/api/v1/homework/${homework.id}/submission`, { body: 'Jupiter, with its moons.' });
  const attempt = await call(sam, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`);
  await call(sam, 'PUT', `/api/v1/quiz-attempts/${attempt.id}/answers/${q1.id}`, { response: { option_id: 'jupiter' } });
  await call(sam, 'PUT', `/api/v1/quiz-attempts/${attempt.id}/answers/${q2.id}`, { response: { value: 8 } });
  const submitted = await call(sam, 'POST', `/api/v1/quiz-attempts/${attempt.id}/submit`);
  t.is(submitted.score, 5);
  // Kim takes the quiz and gets one wrong; Kim never hands in the homework.
  const kimAttempt = await call(kim, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`);
  await call(kim, 'PUT', `/api/v1/quiz-attempts/${kimAttempt.id}/answers/${q1.id}`, { response: { option_id: 'mars' } });
  await call(kim, 'PUT', `/api/v1/quiz-attempts/${kimAttempt.id}/answers/${q2.id}`, { response: { value: 8 } });
  await call(kim, 'POST', `/api/v1/quiz-attempts/${kimAttempt.id}/submit`);

  // The teacher sees what needs grading, grades the homework and returns it.
  const teaching = (await call(teacher, 'GET', '/api/v1/me/dashboard')).teaching;
  t.deepEqual(
    teaching.needs_grading.map((g: { id: string; waiting: number }) => [g.id, g.waiting]),
    [[homework.id, 1]],
  );
  await call(teacher, 'PUT', `/api/v1/homework/${homework.id}/submissions/${sam.id}/grade`, { score: 9, feedback: 'Lovely rings!', return: true });
  const receipts = await call(teacher, 'GET', `/api/v1/notices/${notice.id}/receipts`);
  t.is(receipts.summary.read, 1);

  // After the due date Kim's homework shows as missing.
  now = new Date(new Date(inDays(4)).getTime());
  const book = await call(teacher, 'GET', `/api/v1/classes/${klass.id}/gradebook`);
  const rowOf = (id: string) => book.rows.find((r: { student: { id: string } }) => r.student.id === id);
  t.deepEqual(
    rowOf(sam.id).cells.map((c: { status: string; score: number | null }) => [c.status, c.score]),
    [
      ['graded', 5],
      ['returned', 9],
    ],
  );
  t.is(rowOf(sam.id).average.percent, 93.33, '(5 + 9) / (5 + 10)');
  t.deepEqual(
    rowOf(kim.id).cells.map((c: { status: string; score: number | null }) => [c.status, c.score]),
    [
      ['graded', 3],
      ['missing', null],
    ],
  );

  // Sam sees the grade and feedback; the guardian sees Sam's row and grades, and nothing of Kim.
  const mine = await call(sam, 'GET', `/api/v1/homework/${homework.id}/submission`);
  t.is(mine.score, 9);
  t.is(mine.feedback, 'Lovely rings!');
  const guardianBook = await call(guardian, 'GET', `/api/v1/classes/${klass.id}/gradebook`);
  t.deepEqual(
    guardianBook.rows.map((r: { student: { id: string } }) => r.student.id),
    [sam.id],
  );
  const guardianDash = await call(guardian, 'GET', '/api/v1/me/dashboard');
  t.deepEqual(guardianDash.children[0].recent_grades.map((g: { kind: string; score: number }) => [g.kind, g.score]).sort(), [
    ['homework', 9],
    ['quiz', 5],
  ]);
  t.false(JSON.stringify(guardianBook).includes(kim.id));
  await call(guardian, 'GET', `/api/v1/homework/${homework.id}/submissions/${kim.id}`, undefined, [404]);
});
