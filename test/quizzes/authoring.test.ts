// Writing quizzes, role by role (docs/permissions.md, "Quizzes" rows): drafts, questions of
// every type, publishing, and the freeze once students have started.
import test from 'ava';
import { inMinutes, makeQuiz, quizWorld, SAMPLE, start } from '../helpers/quizzes.ts';

test('a teacher drafts a quiz with every question type and publishes it; students see it only then, never its questions', async (t) => {
  const w = await quizWorld();
  const created = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, {
    title: 'Unit 3',
    instructions: 'Read **carefully**.',
    time_limit_minutes: 20,
    attempts_allowed: 'unlimited',
  });
  t.is(created.status, 201);
  t.is(created.body.status, 'draft');
  t.is(created.body.attempts_allowed, null);
  t.is(created.body.instructions_html, '<p>Read <strong>carefully</strong>.</p>');
  const quizId = created.body.id as string;

  t.deepEqual((await w.request(w.ann, 'GET', `/api/v1/classes/${w.klass.id}/quizzes`)).body.data, [], 'drafts are hidden from students');
  t.is((await w.request(w.ann, 'GET', `/api/v1/quizzes/${quizId}`)).status, 404);

  for (const sample of Object.values(SAMPLE))
    t.is((await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quizId}/questions`, sample)).status, 201, sample.type);
  const quiz = (await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quizId}`)).body;
  t.is(quiz.points_possible, 14);
  t.is(quiz.question_count, 6);
  const questions = (await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quizId}/questions`)).body.data;
  t.deepEqual(
    questions.map((q: { position: number; type: string }) => [q.position, q.type]),
    Object.values(SAMPLE).map((s, i) => [i + 1, s.type]),
  );
  t.deepEqual(questions[0].options, [
    { id: 'mars', text: 'Mars', correct: false },
    { id: 'jupiter', text: 'Jupiter', correct: true },
    { id: 'venus', text: 'Venus', correct: false },
  ]);
  t.is(questions[1].scoring, 'partial');
  t.is(questions[4].answer, 9.81);
  t.is(questions[5].grading, 'manual');

  const published = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quizId}/publish`);
  t.is(published.status, 200);
  t.is(published.body.status, 'published');
  t.is((await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quizId}/publish`)).status, 200, 'publishing twice is harmless');

  const list = await w.request(w.ann, 'GET', `/api/v1/classes/${w.klass.id}/quizzes`);
  t.deepEqual(
    list.body.data.map((q: { id: string }) => q.id),
    [quizId],
  );
  t.is((await w.request(w.ann, 'GET', `/api/v1/quizzes/${quizId}/questions`)).status, 403, 'questions only inside an attempt');
  t.is((await w.request(w.guardian, 'GET', `/api/v1/quizzes/${quizId}`)).status, 200, 'a guardian of an enrolled student sees the quiz');
  t.is((await w.request(w.guardian, 'GET', `/api/v1/quizzes/${quizId}/questions`)).status, 403);
  t.is((await w.request(w.otherGuardian, 'GET', `/api/v1/quizzes/${quizId}`)).status, 404);
  t.is((await w.request(w.outsider, 'GET', `/api/v1/quizzes/${quizId}`)).status, 404);
  t.is((await w.request(w.otherTeacher, 'GET', `/api/v1/quizzes/${quizId}`)).status, 404);
  t.is((await w.request(w.otherTeacher, 'PATCH', `/api/v1/quizzes/${quizId}`, { title: 'Mine' })).status, 404);
  t.is((await w.request(w.admin, 'GET', `/api/v1/quizzes/${quizId}/questions`)).body.data.length, 6, 'admins see everything');
});

test('publishing needs a question; bad questions and settings are 422 with field errors, and change nothing', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, [], { publish: false });
  const empty = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/publish`);
  t.is(empty.status, 422);
  t.is(empty.body.errors[0].field, 'questions');

  const field = async (body: unknown) => {
    const res = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, body);
    t.is(res.status, 422, JSON.stringify(body));
    return res.body.errors.map((e: { field: string }) => e.field);
  };
  t.deepEqual(await field({ type: 'matching', prompt: 'Pair them', points: 1 }), ['type'], 'unknown type');
  t.deepEqual(await field({ ...SAMPLE.single, options: SAMPLE.single.options.map((o) => ({ ...o, correct: true })) }), ['options']);
  t.deepEqual(await field({ ...SAMPLE.multiple, options: SAMPLE.multiple.options.map((o) => ({ id: o.id, text: o.text })) }), ['options']);
  t.deepEqual(await field({ type: 'short_answer', prompt: 'Name it', points: 1 }), ['accepted_answers']);
  t.deepEqual(await field({ type: 'numeric', prompt: 'How many?', points: 1 }), ['answer']);
  t.deepEqual(await field({ ...SAMPLE.trueFalse, points: -1 }), ['points']);
  t.deepEqual(await field({ ...SAMPLE.trueFalse, prompt: '  ' }), ['prompt']);

  const settings = async (body: unknown, expected: string) => {
    const res = await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, body);
    t.is(res.status, 422, JSON.stringify(body));
    t.is(res.body.errors[0].field, expected);
  };
  await settings({ score_release: 'after_close', correctness_release: 'after_attempt' }, 'correctness_release');
  await settings({ answers_release: 'after_attempt' }, 'answers_release');
  await settings({ opens_at: inMinutes(w.clock, 60), closes_at: inMinutes(w.clock, 30) }, 'closes_at');
  await settings({ attempts_allowed: 11 }, 'attempts_allowed');
  await settings({ counted_attempt: 'best' }, 'counted_attempt');
  await settings({ time_limit_minutes: 0 }, 'time_limit_minutes');

  const after = (await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}`)).body;
  t.is(after.question_count, 0);
  t.is(after.status, 'draft');
  t.like(after, { score_release: 'after_attempt', correctness_release: 'after_close', answers_release: 'after_close' }, 'the defaults');
  t.is(after.attempts_allowed, 1);
});

test('questions move and change freely until a student starts; then only a regrade may touch them', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['single', 'trueFalse', 'numeric'], { publish: false });
  const q = quiz.questions;
  const order = async () =>
    (await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}/questions`)).body.data.map((x: { id: string; position: number }) => [x.position, x.id]);

  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}/questions/${q.numeric?.id}`, { position: 1 })).status, 200);
  t.deepEqual(await order(), [
    [1, q.numeric?.id],
    [2, q.single?.id],
    [3, q.trueFalse?.id],
  ]);
  const retyped = await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}/questions/${q.trueFalse?.id}`, {
    type: 'short_answer',
    accepted_answers: ['Pascal'],
  });
  t.is(retyped.status, 200);
  t.is(retyped.body.type, 'short_answer');
  t.deepEqual(retyped.body.accepted_answers, ['Pascal']);
  const badKey = await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}/questions/${q.single?.id}`, {
    options: [{ text: 'Only one' }, { text: 'Two' }],
  });
  t.is(badKey.status, 422, 'the merged question must still be valid');
  t.is(badKey.body.errors[0].field, 'options');
  const added = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, { ...SAMPLE.essay, position: 2 });
  t.is(added.body.position, 2);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/quizzes/${quiz.id}/questions/${q.numeric?.id}`)).status, 204);
  t.deepEqual(await order(), [
    [1, added.body.id],
    [2, q.single?.id],
    [3, q.trueFalse?.id],
  ]);
  t.is((await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}`)).body.points_possible, 5 + 2 + 1);

  await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/publish`);
  t.is((await start(w, w.ann, quiz.id)).status, 201);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}/questions/${q.single?.id}`, { prompt: 'Changed' })).status, 409);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, SAMPLE.trueFalse)).status, 409);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/quizzes/${quiz.id}/questions/${q.single?.id}`)).status, 409);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/quizzes/${quiz.id}`)).status, 409, 'a quiz with attempts is not deleted');
  const regraded = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions/${q.single?.id}/regrade`, { correct_option_ids: ['venus'] });
  t.is(regraded.status, 200);
  t.true(regraded.body.question.options.find((o: { id: string }) => o.id === 'venus').correct);
  const wrongField = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions/${q.single?.id}/regrade`, { correct: true });
  t.is(wrongField.status, 422);
  t.is(wrongField.body.errors[0].field, 'correct');
  const manual = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions/${added.body.id}/regrade`, { points: 3 });
  t.is(manual.status, 409, 'hand-graded questions are graded per attempt');
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { title: 'Renamed' })).body.title, 'Renamed', 'settings stay editable');
});

test('a draft with no attempts can be deleted; students, guardians and other teachers cannot write', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['trueFalse']);
  t.is((await w.request(w.ann, 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, { title: 'Mine' })).status, 403);
  t.is((await w.request(w.ann, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { title: 'Mine' })).status, 403, 'visible but not changeable');
  t.is((await w.request(w.ann, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, SAMPLE.trueFalse)).status, 403);
  t.is((await w.request(w.guardian, 'DELETE', `/api/v1/quizzes/${quiz.id}`)).status, 403);
  t.is((await w.request(w.otherTeacher, 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, { title: 'Mine' })).status, 404, 'a class they do not teach');
  t.is((await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`)).status, 403, 'teachers do not take quizzes');
  t.is((await w.request(w.admin, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`)).status, 403);
  t.is((await w.request(w.guardian, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`)).status, 403);
  t.is((await w.request(w.outsider, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`)).status, 404);
  t.is((await w.request(w.admin, 'DELETE', `/api/v1/quizzes/${quiz.id}`)).status, 204);
  t.is((await w.request(w.teacher, 'GET', `/api/v1/quizzes/${quiz.id}`)).status, 404);
});

test('an archived class keeps its quizzes readable and refuses changes and new attempts', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, {}, ['trueFalse']);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/classes/${w.klass.id}`, { archived: true })).status, 200);
  t.is((await w.request(w.ann, 'GET', `/api/v1/quizzes/${quiz.id}`)).status, 200);
  t.is((await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { title: 'New' })).status, 409);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, { title: 'New' })).status, 409);
  t.is((await start(w, w.ann, quiz.id)).status, 409);
});

test('times without an offset are the school’s wall clock', async (t) => {
  const w = await quizWorld();
  const created = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, {
    title: 'Timed',
    opens_at: '2027-03-01T09:00',
    closes_at: '2027-03-01T10:30:00Z',
  });
  t.is(created.status, 201);
  t.is(created.body.opens_at_local, '2027-03-01T09:00');
  t.is(created.body.closes_at, '2027-03-01T10:30:00.000Z');
});
