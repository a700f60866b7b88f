// Taking a quiz: the window, attempts, server-enforced time limits with the injectable clock,
// autosave under concurrency, submit exactly once, and closing attempts whose time ran out.
import test from 'ava';
import { finaliseExpiredAttempts } from '../../api/quizzes/attempts.ts';
import { GRACE_SECONDS } from '../../api/quizzes/policy.ts';
import { responseSchema } from '../../api/quizzes/schema.ts';
import { inSchool } from '../helpers/factories.ts';
import { attemptWith, inMinutes, makeQuiz, quizWorld, RIGHT, start, submit, WRONG } from '../helpers/quizzes.ts';

const PROBLEM = 'https://edify.app/problems/';

test('a quiz refuses to start before it opens and after it closes, and when attempts are used up', async (t) => {
  const w = await quizWorld();
  const later = await makeQuiz(w, { opens_at: inMinutes(w.clock, 10), closes_at: inMinutes(w.clock, 20) }, ['trueFalse']);
  const early = await start(w, w.ann, later.id);
  t.is(early.status, 409);
  t.regex(early.body.detail, /opens at/);
  w.clock.advance(10 * 60);
  const opened = await start(w, w.ann, later.id);
  t.is(opened.status, 201);
  const again = await start(w, w.ann, later.id);
  t.is(again.status, 200, 'a retried start returns the attempt in progress');
  t.is(again.body.id, opened.body.id);
  t.is((await submit(w, w.ann, opened.body.id)).status, 200);
  const used = await start(w, w.ann, later.id);
  t.is(used.status, 409);
  t.regex(used.body.detail, /all 1 attempts/);
  w.clock.advance(10 * 60);
  const closed = await start(w, w.ben, later.id);
  t.is(closed.status, 409, 'a closed quiz refuses to start');
  t.regex(closed.body.detail, /closed/);
  t.is((await w.request(w.ben, 'GET', `/api/v1/quizzes/${later.id}/my-results`)).body.status, 'not_started', 'nothing was created');

  const twice = await makeQuiz(w, { attempts_allowed: 2 }, ['trueFalse']);
  const first = await start(w, w.cat, twice.id);
  await submit(w, w.cat, first.body.id);
  const second = await start(w, w.cat, twice.id);
  t.is(second.status, 201);
  t.is(second.body.number, 2);
});

test('the time limit is the server’s: saves within the grace count, later ones are refused and change nothing', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { time_limit_minutes: 10 }, ['short', 'trueFalse']);
  const started = await start(w, w.ann, quiz.id);
  t.is(started.body.seconds_left, 600);
  t.is(started.body.grace_seconds, GRACE_SECONDS);
  t.is(new Date(started.body.deadline_at).getTime() - new Date(started.body.started_at).getTime(), 10 * 60_000);
  const id = started.body.id as string;
  const save = (questionId: string | undefined, response: unknown) =>
    w.request(w.ann, 'PUT', `/api/v1/quiz-attempts/${id}/answers/${questionId}`, { response });

  t.is((await save(quiz.questions.short?.id, { text: 'Ag' })).status, 200);
  w.clock.advance(10 * 60 + GRACE_SECONDS - 5);
  t.is((await save(quiz.questions.short?.id, { text: 'Au' })).status, 200, 'inside the grace');
  w.clock.advance(6);
  const late = await save(quiz.questions.trueFalse?.id, { value: false });
  t.is(late.status, 409);
  t.is(late.body.type, `${PROBLEM}attempt-closed`);

  const attempt = (await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${id}`)).body;
  t.is(attempt.status, 'submitted', 'closed when next looked at');
  t.is(attempt.finished_by, 'deadline');
  t.is(attempt.submitted_at, started.body.deadline_at);
  t.deepEqual(
    attempt.questions.map((q: { response: unknown }) => q.response),
    [{ text: 'Au' }, null],
    'the refused save changed nothing',
  );
  t.is(attempt.score, 1, 'graded with what was saved in time (results immediately)');
  t.is((await save(quiz.questions.short?.id, { text: 'Ag' })).status, 409, 'a submitted attempt takes no more answers');
});

test('attempts past their deadline are closed by whoever looks first: results, a new start, or the job', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { time_limit_minutes: 5, attempts_allowed: 2 }, ['trueFalse', 'short']);
  const ann = await attemptWith(w, w.ann, quiz, { trueFalse: RIGHT.trueFalse });
  const ben = await attemptWith(w, w.ben, quiz, { trueFalse: WRONG.trueFalse });
  w.clock.advance(5 * 60 + GRACE_SECONDS + 1);

  const results = (await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/results`)).body.data;
  const row = (id: string) => results.find((r: { student: { id: string } }) => r.student.id === id);
  t.is(row(w.ann.id).status, 'submitted');
  t.is(row(w.ann.id).score, 1);
  t.is(row(w.ann.id).counted_attempt_id, ann);
  t.is(row(w.ben.id).score, 0);
  t.is(row(w.ben.id).latest_attempt_id, ben);
  t.is(row(w.cat.id).status, 'not_started');

  // A start closes the student's expired attempt before counting what is left.
  const second = await start(w, w.cat, quiz.id);
  w.clock.advance(5 * 60 + GRACE_SECONDS + 1);
  const third = await start(w, w.cat, quiz.id);
  t.is(third.status, 201);
  t.is(third.body.number, 2);
  t.not(third.body.id, second.body.id);

  // The job entry point, called directly as a job runner would.
  const other = await makeQuiz(w, { time_limit_minutes: 1 }, ['trueFalse']);
  const a = await attemptWith(w, w.ann, other, { trueFalse: RIGHT.trueFalse });
  const b = await attemptWith(w, w.ben, other, {});
  w.clock.advance(60 + GRACE_SECONDS + 1);
  const job = { clock: () => w.clock.now };
  const first = await inSchool(w.school, (scope) => finaliseExpiredAttempts({ ...scope, ...job }));
  t.is(first.finalised, 2, 'the two of the other quiz; Cat’s second attempt still has time');
  t.is((await inSchool(w.school, (scope) => finaliseExpiredAttempts({ ...scope, ...job }))).finalised, 0, 'nothing twice');
  const rows = await inSchool(w.school, (scope) =>
    scope.db('quiz_attempts').whereIn('id', [a, b]).orderBy('score', 'desc').select('finished_by', 'score', 'counted'),
  );
  t.deepEqual(
    rows.map((r) => [r.finished_by, Number(r.score), r.counted]),
    [
      ['deadline', 1, true],
      ['deadline', 0, true],
    ],
  );
});

test('a new time limit or closing time moves the deadline of attempts in progress', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { time_limit_minutes: 10 }, ['trueFalse']);
  const started = await start(w, w.ann, quiz.id);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { time_limit_minutes: 25 })).status, 200);
  const moved = (await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${started.body.id}`)).body;
  t.is(moved.seconds_left, 25 * 60);
  await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { closes_at: inMinutes(w.clock, 5) });
  t.is((await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${started.body.id}`)).body.seconds_left, 5 * 60, 'the earlier of the two');
});

test('concurrent autosaves: one row, no errors; with sequences the highest wins whatever the arrival order', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['short', 'numeric']);
  const id = (await start(w, w.ann, quiz.id)).body.id as string;
  const path = (q: string | undefined) => `/api/v1/quiz-attempts/${id}/answers/${q}`;

  const texts = Array.from({ length: 12 }, (_, i) => `draft ${i}`);
  const saves = await Promise.all(texts.map((text) => w.request(w.ann, 'PUT', path(quiz.questions.short?.id), { response: { text } })));
  t.deepEqual(
    saves.map((s) => s.status),
    texts.map(() => 200),
  );
  const rows = await inSchool(w.school, (scope) => scope.db('quiz_answers').where({ attempt_id: id }).select('response'));
  t.is(rows.length, 1);
  t.true(texts.includes(rows[0].response.text));
  const last = await w.request(w.ann, 'PUT', path(quiz.questions.short?.id), { response: { text: 'final' } });
  t.deepEqual(last.body.response, { text: 'final' }, 'the last write wins');

  const sequences = [5, 2, 9, 1, 7, 3, 8, 4, 6];
  const results = await Promise.all(
    sequences.map((sequence) => w.request(w.ann, 'PUT', path(quiz.questions.numeric?.id), { response: { value: sequence }, sequence })),
  );
  t.true(results.every((r) => r.status === 200));
  const stale = await w.request(w.ann, 'PUT', path(quiz.questions.numeric?.id), { response: { value: 0 }, sequence: 3 });
  t.false(stale.body.applied);
  t.deepEqual(stale.body.response, { value: 9 }, 'a retried older save returns the newer one');
  const attempt = (await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${id}`)).body;
  t.deepEqual(attempt.questions.find((q: { id: string }) => q.id === quiz.questions.numeric?.id).response, { value: 9 });
  t.is((await w.request(w.ann, 'PUT', path(quiz.questions.numeric?.id), { response: null })).body.response, null, 'null clears it');
});

test('two submits at once grade once and answer the same', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {});
  const id = await attemptWith(w, w.ann, quiz, { single: RIGHT.single, multiple: { option_ids: ['he', 'ox'] }, numeric: RIGHT.numeric });
  const [a, b] = await Promise.all([submit(w, w.ann, id), submit(w, w.ann, id)]);
  t.is(a.status, 200);
  t.is(b.status, 200);
  t.is(a.body.score, 2 + 0 + 2, 'partial credit (1 − 1) / 2 = 0 for the gases');
  t.is(b.body.score, a.body.score);
  t.is(b.body.submitted_at, a.body.submitted_at);
  const graded = await inSchool(w.school, (scope) =>
    scope.db('audit_events').where({ action: 'quiz.attempt_submitted', target_id: id }).count({ n: '*' }).first(),
  );
  t.is(Number(graded?.n), 1, 'graded exactly once');
  t.is((await submit(w, w.ann, id)).body.score, a.body.score, 'and again later, the same');
});

test('answers are checked against their question; another student’s attempt does not exist for you', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {});
  const id = await attemptWith(w, w.ann, quiz, { short: { text: 'Ann wrote this' } });
  const put = (who: typeof w.ann, question: string | undefined, response: unknown) =>
    w.request(who, 'PUT', `/api/v1/quiz-attempts/${id}/answers/${question}`, { response });

  const badOption = await put(w.ann, quiz.questions.single?.id, { option_id: 'pluto' });
  t.is(badOption.status, 422);
  t.is(badOption.body.errors[0].field, 'response.option_id');
  t.is((await put(w.ann, quiz.questions.multiple?.id, { option_ids: ['he', 'he'] })).status, 422);
  t.is((await put(w.ann, quiz.questions.trueFalse?.id, { value: 'yes' })).status, 422);
  t.is((await put(w.ann, quiz.questions.numeric?.id, { text: '9.81' })).status, 422);
  t.is((await put(w.ann, '00000000-0000-4000-8000-000000000000', { value: true })).status, 404);

  t.is((await put(w.ben, quiz.questions.short?.id, { text: 'Ben overwrites' })).status, 404);
  t.is((await w.request(w.ben, 'GET', `/api/v1/quiz-attempts/${id}`)).status, 404);
  t.is((await submit(w, w.ben, id)).status, 404);
  t.is((await put(w.teacher, quiz.questions.short?.id, { text: 'Teacher edits' })).status, 403, 'teachers see it but cannot answer');
  t.is((await put(w.admin, quiz.questions.short?.id, { text: 'Admin edits' })).status, 403);
  t.is((await put(w.guardian, quiz.questions.short?.id, { text: 'Parent edits' })).status, 403);
  // Guardians never answer: the route's declared action (submit) refuses the role before any
  // record is looked up, so a stranger learns nothing about the attempt either way.
  t.is((await put(w.otherGuardian, quiz.questions.short?.id, { text: 'Stranger edits' })).status, 403);
  t.is((await w.request(w.otherGuardian, 'GET', `/api/v1/quiz-attempts/${id}`)).status, 404, 'and cannot see it');
  const mine = (await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${id}`)).body;
  t.is(mine.status, 'in_progress');
  t.deepEqual(mine.questions.find((q: { id: string }) => q.id === quiz.questions.short?.id).response, { text: 'Ann wrote this' });
  for (const kind of ['single', 'multiple', 'trueFalse', 'numeric'] as const) {
    t.is(mine.questions.find((q: { id: string }) => q.id === quiz.questions[kind]?.id).response, null, `the refused ${kind} answer was not kept`);
  }
  t.deepEqual((await w.request(w.ben, 'GET', `/api/v1/quizzes/${quiz.id}/attempts`)).body.data, [], 'Ben lists only his own');
});

test('shuffled questions and options: fixed per attempt, the same on every read', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { shuffle_questions: true, shuffle_options: true });
  const started = (await start(w, w.ann, quiz.id)).body;
  const again = (await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${started.id}`)).body;
  const shape = (a: { questions: { id: string; position: number; options?: { id: string }[] }[] }) =>
    a.questions.map((q) => [q.position, q.id, q.options?.map((o) => o.id)]);
  t.deepEqual(shape(again), shape(started));
  t.deepEqual(
    started.questions.map((q: { id: string }) => q.id).sort(),
    Object.values(quiz.questions)
      .map((q) => q.id)
      .sort(),
  );
  const gases = started.questions.find((q: { id: string }) => q.id === quiz.questions.multiple?.id);
  t.deepEqual(gases.options.map((o: { id: string }) => o.id).sort(), ['he', 'ne', 'ni', 'ox']);
  t.false('correct' in gases.options[0]);
});

test('a student removed from the class can no longer read, answer or submit an open attempt (as with homework)', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['trueFalse', 'short']);
  const attemptId = await attemptWith(w, w.ann, quiz, { trueFalse: WRONG.trueFalse });
  const attempt = `/api/v1/quiz-attempts/${attemptId}`;
  t.is((await w.request(w.ann, 'GET', attempt)).status, 200);
  t.is((await w.request(w.guardian, 'GET', attempt)).status, 200, 'her guardian reads it while she is enrolled');
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/classes/${w.klass.id}/members/${w.ann.id}`)).status, 204);

  t.is((await w.request(w.ann, 'GET', attempt)).status, 404);
  t.is((await w.request(w.ann, 'PUT', `${attempt}/answers/${quiz.questions.short?.id}`, { response: RIGHT.short })).status, 404);
  t.is((await submit(w, w.ann, attemptId)).status, 404);
  t.is((await w.request(w.ann, 'GET', `/api/v1/quizzes/${quiz.id}/attempts`)).status, 404, 'nor the quiz’s attempts list');
  t.is((await w.request(w.guardian, 'GET', attempt)).status, 404, 'nor her guardian');
  const kept = await inSchool(w.school, (scope) => scope.db('quiz_attempts').where({ id: attemptId }).first('submitted_at'));
  t.is(kept?.submitted_at, null, 'the attempt row is kept, unsubmitted');
});

test('response shapes are remembered per question type and options: a question edited to other options checks the new ones', (t) => {
  const before = {
    type: 'single_choice' as const,
    options: [
      { id: 'venus', text: 'Venus' },
      { id: 'mars', text: 'Mars' },
    ],
  };
  t.true(responseSchema(before).safeParse({ option_id: 'venus' }).success);
  t.is(responseSchema(before), responseSchema({ ...before, options: before.options.map((o) => ({ ...o })) }), 'built once');
  const edited = {
    ...before,
    options: [
      { id: 'mars', text: 'Mars' },
      { id: 'jupiter', text: 'Jupiter' },
    ],
  };
  t.false(responseSchema(edited).safeParse({ option_id: 'venus' }).success, 'an option removed by the edit is refused');
  t.true(responseSchema(edited).safeParse({ option_id: 'jupiter' }).success);
  t.false(responseSchema({ ...edited, type: 'multiple_choice' }).safeParse({ option_id: 'jupiter' }).success, 'another type, another shape');
});
