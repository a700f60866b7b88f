// The answer key and other students' answers never reach a student (or a guardian) before the
// results policy allows it. Every student- and guardian-facing quiz endpoint is called, before
// and after the quiz closes, under each policy, and the raw JSON text is scanned.
import test from 'ava';
import type { Person } from '../helpers/factories.ts';
import type { Response } from '../helpers/http.ts';
import { inMinutes, type MadeQuiz, makeQuiz, type QuizWorld, quizWorld, RIGHT, start, submit, WRONG } from '../helpers/quizzes.ts';

// What the key looks like in any view, and its values (the sample key: Jupiter, He+Ne, false, Au, 9.81).
const KEY_MARKS = ['correct', 'accepted_answers', '"answer"', 'tolerance', '9.81', '"Au"', '"au"'];
const BEN_MARK = 'BEN-PRIVATE-ANSWER';

function found(text: string, marks: string[]): string[] {
  return marks.filter((m) => text.toLowerCase().includes(m.toLowerCase()));
}

/** Everything a student (and a guardian of Ann) can ask about this quiz, with Ann's and Ben's attempts. */
async function studentSurface(w: QuizWorld, quiz: MadeQuiz, annAttempt: string, benAttempt: string): Promise<Record<string, Response>> {
  const get = (who: Person, path: string) => w.call(who, 'GET', path);
  return {
    'class quizzes': await get(w.ann, `/api/v1/classes/${w.klass.id}/quizzes`),
    quiz: await get(w.ann, `/api/v1/quizzes/${quiz.id}`),
    questions: await get(w.ann, `/api/v1/quizzes/${quiz.id}/questions`),
    'start again': await start(w, w.ann, quiz.id),
    attempt: await get(w.ann, `/api/v1/quiz-attempts/${annAttempt}`),
    attempts: await get(w.ann, `/api/v1/quizzes/${quiz.id}/attempts`),
    'my results': await get(w.ann, `/api/v1/quizzes/${quiz.id}/my-results`),
    leaderboard: await get(w.ann, `/api/v1/quizzes/${quiz.id}/leaderboard`),
    resubmit: await submit(w, w.ann, annAttempt),
    'late save': await w.call(w.ann, 'PUT', `/api/v1/quiz-attempts/${annAttempt}/answers/${quiz.questions.short?.id}`, { response: { text: 'x' } }),
    'ben attempt': await get(w.ann, `/api/v1/quiz-attempts/${benAttempt}`),
    'ben results': await get(w.ann, `/api/v1/quizzes/${quiz.id}/my-results?student_id=${w.ben.id}`),
    'guardian quiz': await get(w.guardian, `/api/v1/quizzes/${quiz.id}`),
    'guardian questions': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/questions`),
    'guardian results': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/my-results?student_id=${w.ann.id}`),
    'guardian attempts': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/attempts`),
    'guardian attempt': await get(w.guardian, `/api/v1/quiz-attempts/${annAttempt}`),
    'guardian ben attempt': await get(w.guardian, `/api/v1/quiz-attempts/${benAttempt}`),
    'guardian leaderboard': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/leaderboard`),
  };
}

/** Ann answers everything wrong (so her own answers never echo the key); Ben writes private text. */
async function takeQuiz(w: QuizWorld, quiz: MadeQuiz) {
  const ann = await start(w, w.ann, quiz.id);
  const during: Response[] = [ann];
  for (const [name, question] of Object.entries(quiz.questions)) {
    during.push(await w.call(w.ann, 'PUT', `/api/v1/quiz-attempts/${ann.body.id}/answers/${question.id}`, { response: WRONG[name as keyof typeof WRONG] }));
  }
  during.push(await w.call(w.ann, 'GET', `/api/v1/quiz-attempts/${ann.body.id}`));
  const ben = await start(w, w.ben, quiz.id);
  await w.call(w.ben, 'PUT', `/api/v1/quiz-attempts/${ben.body.id}/answers/${quiz.questions.short?.id}`, { response: { text: BEN_MARK } });
  await w.call(w.ben, 'PUT', `/api/v1/quiz-attempts/${ben.body.id}/answers/${quiz.questions.single?.id}`, { response: RIGHT.single });
  await submit(w, w.ben, ben.body.id);
  during.push(await submit(w, w.ann, ann.body.id));
  return { annAttempt: ann.body.id as string, benAttempt: ben.body.id as string, during };
}

const ALL = ['single', 'multiple', 'trueFalse', 'short', 'numeric', 'essay'] as const;

for (const policy of ['immediately', 'after_close', 'never'] as const) {
  test(`results policy ${policy}: no key and no other student’s answers before it allows them`, async (t) => {
    const w = await quizWorld();
    const quiz = await makeQuiz(w, { results_policy: policy, closes_at: inMinutes(w.clock, 30), attempts_allowed: 2, leaderboard: true }, [...ALL]);
    const { annAttempt, benAttempt, during } = await takeQuiz(w, quiz);
    for (const res of during) t.deepEqual(found(res.text, [...KEY_MARKS, BEN_MARK]), [], `while taking it: ${res.text.slice(0, 120)}`);

    const before = await studentSurface(w, quiz, annAttempt, benAttempt);
    for (const [name, res] of Object.entries(before)) {
      t.true(res.status < 500, name);
      t.deepEqual(found(res.text, [...KEY_MARKS, BEN_MARK, w.ben.id]), [], `before close: ${name}`);
    }
    t.is(before['ben attempt']?.status, 404);
    t.is(before['ben results']?.status, 404);
    t.is(before['guardian ben attempt']?.status, 404);
    t.is(before.questions?.status, 403);
    t.is(before.leaderboard?.status, 403, 'not before results are released');
    t.is(before['guardian attempt']?.body.questions, undefined, 'guardians never see questions');
    const scoreShown = policy === 'immediately';
    t.is('score' in (before.attempt?.body ?? {}), scoreShown, 'the score only as the policy allows');
    t.is(before['my results']?.body.results_released, scoreShown);
    t.is(before['guardian results']?.body.score, scoreShown ? 0 : null);

    w.clock.advance(31 * 60);
    const after = await studentSurface(w, quiz, annAttempt, benAttempt);
    const released = policy !== 'never';
    for (const [name, res] of Object.entries(after)) {
      const mayShowKey = released && (name === 'attempt' || name === 'resubmit');
      const leaked = found(res.text, [...KEY_MARKS, BEN_MARK, w.ben.id]).filter((m) => !(mayShowKey && KEY_MARKS.includes(m)));
      t.deepEqual(leaked, [], `after close: ${name}`);
    }
    const annView = after.attempt?.body;
    if (released) {
      t.is(annView.score, 0);
      const single = annView.questions.find((q: { id: string }) => q.id === quiz.questions.single?.id);
      t.deepEqual(single.key, { correct_option_ids: ['jupiter'] }, 'the key for her own attempt, once it can no longer help');
      t.is(after.leaderboard?.status, 200);
      t.deepEqual(after.leaderboard?.body.data[0], { rank: 1, name: 'Ben B.', score: 2, me: false });
      t.is(after['guardian results']?.body.score, 0);
    } else {
      t.false('score' in annView);
      t.is(after.leaderboard?.status, 403);
      t.is(after['guardian results']?.body.score, null);
      // Under "never" the teacher releases by hand.
      t.is((await w.call(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { results_released: true })).status, 200);
      const now = (await w.call(w.ann, 'GET', `/api/v1/quiz-attempts/${annAttempt}`)).body;
      t.is(now.score, 0);
      t.truthy(now.questions.find((q: { id: string }) => q.id === quiz.questions.numeric?.id).key);
      t.deepEqual(found(JSON.stringify(now), [BEN_MARK, w.ben.id]), []);
    }
    t.deepEqual(found(after['guardian attempt']?.text ?? '', KEY_MARKS), [], 'guardians never see the key');
  });
}

test('immediately with one attempt: score and key right after submitting, since no attempt is left', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { results_policy: 'immediately', attempts_allowed: 1 }, ['single', 'short']);
  const { annAttempt } = await takeQuiz(w, quiz);
  const view = (await w.call(w.ann, 'GET', `/api/v1/quiz-attempts/${annAttempt}`)).body;
  t.is(view.score, 0);
  t.deepEqual(view.questions.find((q: { id: string }) => q.id === quiz.questions.short?.id).key, { accepted_answers: ['Au'] });
  t.deepEqual(found(JSON.stringify(view), [BEN_MARK]), []);
});
