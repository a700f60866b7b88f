// After the attempts: grading by hand, regrading for everyone, which attempt counts, per-question
// statistics, the opt-in leaderboard, and who may see whose results.
import test from 'ava';
import { inSchool } from '../helpers/factories.ts';
import { attemptWith, inMinutes, makeQuiz, quizWorld, RIGHT, start, submit, WRONG } from '../helpers/quizzes.ts';

test('hand grading: an essay waits for the teacher, who grades it within its points', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { correctness_release: 'after_attempt' }, ['trueFalse', 'essay']);
  const id = await attemptWith(w, w.ann, quiz, { trueFalse: RIGHT.trueFalse, essay: RIGHT.essay });
  const essay = quiz.questions.essay?.id;
  const grade = (who: typeof w.ann, question: string | undefined, body: unknown) =>
    w.request(who, 'PUT', `/api/v1/quiz-attempts/${id}/grades/${question}`, body);

  t.is((await grade(w.teacher, essay, { score: 3 })).status, 409, 'not while in progress');
  const submitted = (await submit(w, w.ann, id)).body;
  t.is(submitted.score, 1);
  t.true(submitted.needs_grading);
  t.is(submitted.questions.find((q: { id: string }) => q.id === essay).score, null);
  t.is((await w.request(w.ann, 'GET', `/api/v1/quizzes/${quiz.id}/my-results`)).body.status, 'needs_grading');
  const row = (await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/results`)).body.data.find(
    (r: { student: { id: string } }) => r.student.id === w.ann.id,
  );
  t.is(row.status, 'needs_grading');

  const tooMany = await grade(w.teacher, essay, { score: 6 });
  t.is(tooMany.status, 422);
  t.is(tooMany.body.errors[0].field, 'score');
  t.is((await grade(w.teacher, quiz.questions.trueFalse?.id, { score: 1 })).status, 409, 'autograded questions are regraded, not hand-graded');
  t.is((await grade(w.ann, essay, { score: 5 })).status, 403);
  t.is((await grade(w.guardian, essay, { score: 5 })).status, 403);
  t.is((await grade(w.otherTeacher, essay, { score: 5 })).status, 404);

  const graded = await grade(w.teacher, essay, { score: 4, feedback: 'Good, but say more about mass.' });
  t.is(graded.status, 200);
  t.is(graded.body.score, 5);
  t.false(graded.body.needs_grading);
  const seen = (await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${id}`)).body.questions.find((q: { id: string }) => q.id === essay);
  t.is(seen.score, 4);
  t.is(seen.feedback, 'Good, but say more about mass.');
  const events = await inSchool(w.school, (scope) => scope.db('audit_events').where({ action: 'quiz.answer_graded', target_id: id }).select('actor_id'));
  t.deepEqual(
    events.map((e) => e.actor_id),
    [w.teacher.id],
  );
});

test('regrade: a corrected key rescores every submitted attempt; attempts in progress get it when they close', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { attempts_allowed: 1 }, ['single', 'short']);
  const ann = await attemptWith(w, w.ann, quiz, { single: { option_id: 'venus' }, short: { text: 'gold' } });
  const ben = await attemptWith(w, w.ben, quiz, { single: RIGHT.single, short: RIGHT.short });
  const cat = await attemptWith(w, w.cat, quiz, { single: { option_id: 'venus' } });
  await submit(w, w.ann, ann);
  await submit(w, w.ben, ben);
  const score = async (who: typeof w.ann, id: string) => (await w.request(who, 'GET', `/api/v1/quiz-attempts/${id}`)).body.score;
  t.is(await score(w.ann, ann), 0);
  t.is(await score(w.ben, ben), 3);

  const single = quiz.questions.single?.id;
  const regrade = (body: unknown, question = single) => w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions/${question}/regrade`, body);
  const fixed = await regrade({ correct_option_ids: ['venus'] });
  t.is(fixed.status, 200);
  t.is(fixed.body.attempts_regraded, 2);
  t.is(fixed.body.scores_changed, 2);
  t.is(await score(w.ann, ann), 2);
  t.is(await score(w.ben, ben), 1);
  t.is((await submit(w, w.cat, cat)).body.score, 2, 'graded with the corrected key');

  const worth = await regrade({ points: 4 });
  t.is(worth.body.scores_changed, 2, 'Ann and Cat, who chose venus');
  t.is(await score(w.ann, ann), 4);
  t.is((await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}`)).body.points_possible, 5);
  await regrade({ accepted_answers: ['Au', 'Gold'] }, quiz.questions.short?.id);
  t.is(await score(w.ann, ann), 5, '"gold" now counts');
  t.is((await regrade({ correct_option_ids: ['pluto'] })).status, 422);
  t.is((await w.request(w.ann, 'POST', `/api/v1/quizzes/${quiz.id}/questions/${single}/regrade`, { correct_option_ids: ['mars'] })).status, 403);
  const audited = await inSchool(w.school, (scope) =>
    scope.db('audit_events').where({ action: 'quiz.question_regraded', target_id: quiz.id }).count({ n: '*' }).first(),
  );
  t.is(Number(audited?.n), 3);
});

test('the counted attempt follows the quiz’s rule: highest, latest or first', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { attempts_allowed: 3, counted_attempt: 'highest' }, ['trueFalse', 'single']);
  const first = await attemptWith(w, w.ann, quiz, { trueFalse: RIGHT.trueFalse, single: RIGHT.single });
  await submit(w, w.ann, first);
  const second = await attemptWith(w, w.ann, quiz, { trueFalse: RIGHT.trueFalse, single: WRONG.single });
  await submit(w, w.ann, second);
  const counted = async () => {
    const mine = (await w.request(w.ann, 'GET', `/api/v1/quizzes/${quiz.id}/my-results`)).body;
    const rows = await inSchool(w.school, (scope) => scope.db('quiz_attempts').where({ quiz_id: quiz.id, counted: true }).select('id'));
    t.is(rows.length, 1, 'exactly one counted attempt per student');
    return [mine.counted_attempt_id, mine.score];
  };
  t.deepEqual(await counted(), [first, 3]);
  await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { counted_attempt: 'latest' });
  t.deepEqual(await counted(), [second, 1]);
  await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { counted_attempt: 'first' });
  t.deepEqual(await counted(), [first, 3]);
  await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { counted_attempt: 'latest' });
  const third = await start(w, w.ann, quiz.id);
  t.deepEqual(await counted(), [second, 1], 'an attempt in progress never counts');
  await submit(w, w.ann, third.body.id);
  t.deepEqual(await counted(), [third.body.id, 0]);
  const mine = (await w.request(w.ann, 'GET', `/api/v1/quizzes/${quiz.id}/my-results`)).body;
  t.is(mine.attempts_used, 3);
  t.is(mine.attempts_left, 0);
});

test('statistics: share of full marks and option counts over counted attempts, for teachers only', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['single', 'multiple', 'trueFalse']);
  const runs = [
    [w.ann, { single: RIGHT.single, multiple: { option_ids: ['he', 'ne'] }, trueFalse: { value: false } }],
    [w.ben, { single: WRONG.single, multiple: { option_ids: ['he'] }, trueFalse: { value: true } }],
    [w.cat, { single: RIGHT.single, multiple: { option_ids: ['he', 'ox'] } }],
  ] as const;
  for (const [who, answers] of runs) await submit(w, who, await attemptWith(w, who, quiz, answers));

  const stats = await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/statistics`);
  t.is(stats.status, 200);
  t.is(stats.body.counted_attempts, 3);
  const [single, multiple, trueFalse] = stats.body.data;
  t.like(single, { answered: 3, percent_correct: 66.7, average_score: 1.33 });
  t.deepEqual(
    single.options.map((o: { id: string; count: number; correct: boolean }) => [o.id, o.count, o.correct]),
    [
      ['mars', 1, false],
      ['jupiter', 2, true],
      ['venus', 0, false],
    ],
  );
  t.like(multiple, { answered: 3, percent_correct: 33.3, average_score: 1.5 }, 'partial: 3, 1.5 and (1 − 1) / 2 × 3 = 0');
  t.deepEqual(
    multiple.options.map((o: { id: string; count: number }) => [o.id, o.count]),
    [
      ['he', 3],
      ['ne', 1],
      ['ox', 1],
      ['ni', 0],
    ],
  );
  t.like(trueFalse, { answered: 2, percent_correct: 33.3, needs_grading: 0 });
  t.deepEqual(
    trueFalse.options.map((o: { id: string; count: number; correct: boolean }) => [o.id, o.count, o.correct]),
    [
      ['true', 1, false],
      ['false', 1, true],
    ],
  );
  const paged = await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/statistics?limit=2`);
  t.is(paged.body.data.length, 2);
  const rest = await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/statistics?limit=2&cursor=${paged.body.next_cursor}`);
  t.deepEqual(
    rest.body.data.map((q: { question_id: string }) => q.question_id),
    [quiz.questions.trueFalse?.id],
  );
  t.is((await w.request(w.ann, 'GET', `/api/v1/quizzes/${quiz.id}/statistics`)).status, 403);
  t.is((await w.request(w.guardian, 'GET', `/api/v1/quizzes/${quiz.id}/statistics`)).status, 403);
  t.is((await w.request(w.otherTeacher, 'GET', `/api/v1/quizzes/${quiz.id}/statistics`)).status, 404);
  t.is((await w.request(w.ann, 'GET', `/api/v1/quizzes/${quiz.id}/results`)).status, 403);
  t.is((await w.request(w.admin, 'GET', `/api/v1/quizzes/${quiz.id}/results`)).body.data.length, 3);
});

test('the leaderboard is opt-in, for enrolled students once results are released, with short names', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { score_release: 'after_close', closes_at: inMinutes(w.clock, 10) }, ['single', 'trueFalse']);
  const runs = [
    [w.ann, { single: RIGHT.single, trueFalse: RIGHT.trueFalse }],
    [w.ben, { single: RIGHT.single, trueFalse: WRONG.trueFalse }],
    [w.cat, { single: RIGHT.single, trueFalse: RIGHT.trueFalse }],
  ] as const;
  for (const [who, answers] of runs) await submit(w, who, await attemptWith(w, who, quiz, answers));
  const board = (who: typeof w.ann, query = '') => w.request(who, 'GET', `/api/v1/quizzes/${quiz.id}/leaderboard${query}`);

  t.is((await board(w.teacher)).status, 200, 'teachers may preview it');
  t.is((await board(w.ann)).status, 403, 'off, and not released');
  w.clock.advance(11 * 60);
  t.is((await board(w.ann)).status, 403, 'released, but the teacher has not turned it on');
  await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { leaderboard: true });
  const top = await board(w.ann, '?limit=2');
  t.is(top.status, 200);
  t.deepEqual(top.body.data.map((e: { rank: number; name: string; score: number }) => [e.rank, e.name, e.score]).sort(), [
    [1, 'Ann A.', 3],
    [1, 'Cat C.', 3],
  ]);
  t.true(top.body.data.some((e: { me: boolean }) => e.me));
  t.false('student_id' in top.body.data[0]);
  const next = await board(w.ann, `?limit=2&cursor=${top.body.next_cursor}`);
  t.deepEqual(next.body.data, [{ rank: 3, name: 'Ben B.', score: 2, me: false }]);
  t.is((await board(w.guardian)).status, 403, 'for enrolled students, not guardians');
  t.is((await board(w.outsider)).status, 404);
});

test('guardians read their linked students’ standing, never another’s; teachers read any enrolled student’s', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['trueFalse']);
  await submit(w, w.ann, await attemptWith(w, w.ann, quiz, { trueFalse: RIGHT.trueFalse }));
  await submit(w, w.ben, await attemptWith(w, w.ben, quiz, { trueFalse: RIGHT.trueFalse }));
  const results = (who: typeof w.ann, query = '') => w.request(who, 'GET', `/api/v1/quizzes/${quiz.id}/my-results${query}`);

  const mine = await results(w.guardian, `?student_id=${w.ann.id}`);
  t.is(mine.status, 200);
  t.like(mine.body, { student_id: w.ann.id, status: 'submitted', score_released: true, score: 1, open_attempt_id: null });
  t.is((await results(w.guardian)).status, 422, 'whose results?');
  t.is((await results(w.guardian, `?student_id=${w.ben.id}`)).status, 404);
  t.is((await results(w.otherGuardian, `?student_id=${w.outsider.id}`)).status, 404, 'their student is not in this class');
  const listed = (await w.request(w.guardian, 'GET', `/api/v1/quizzes/${quiz.id}/attempts`)).body.data;
  t.deepEqual(
    listed.map((a: { student_id: string; score: number; questions?: unknown }) => [a.student_id, a.score, a.questions]),
    [[w.ann.id, 1, undefined]],
  );
  t.is((await results(w.teacher, `?student_id=${w.ben.id}`)).body.score, 1);
  t.is((await results(w.teacher, `?student_id=${w.outsider.id}`)).status, 404);
  t.is((await results(w.ann, `?student_id=${w.ben.id}`)).status, 404, 'students read only their own');
  const roster = await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/results?limit=2`);
  t.deepEqual(
    roster.body.data.map((r: { student: { last_name: string } }) => r.student.last_name),
    ['Archer', 'Baker'],
  );
  const rest = await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/results?limit=2&cursor=${roster.body.next_cursor}`);
  t.deepEqual(
    rest.body.data.map((r: { student: { last_name: string }; status: string }) => [r.student.last_name, r.status]),
    [['Carter', 'not_started']],
  );
});
