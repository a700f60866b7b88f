// The score, which questions were right, and the answer key never reach a student (or a
// guardian) before the teacher's release settings allow them, and other students' answers never
// do. Every student- and guardian-facing quiz endpoint is called under every setting (each part's
// moment: after_attempt, after_close, manual), before and after the quiz closes, and after each
// manual release; the raw JSON text is scanned and the parts each view holds are checked.
import test from 'ava';
import type { Person } from '../helpers/factories.ts';
import type { Response } from '../helpers/http.ts';
import { inMinutes, type MadeQuiz, makeQuiz, type QuizWorld, quizWorld, RIGHT, start, submit, WRONG } from '../helpers/quizzes.ts';

// What the key looks like in any view, and its values (the sample key: Jupiter, He+Ne, false, Au, 9.81).
const KEY_MARKS = ['"correct":', '"correct_option_ids"', 'accepted_answers', '"answer"', 'tolerance', '9.81', '"Au"', '"au"'];
const BEN_MARK = 'BEN-PRIVATE-ANSWER';

function found(text: string, marks: string[]): string[] {
  const lower = text.toLowerCase();
  return marks.filter((m) =>
    // A number (the numeric key 9.81) counts only as a number of its own, not as digits inside a
    // timestamp such as "…:09.813Z" that the clock may produce by chance (it did once in CI).
    /^[\d.]+$/.test(m) ? new RegExp(`(?<![\\d.])${m.replaceAll('.', '\\.')}(?!\\d)`).test(text) : lower.includes(m.toLowerCase()),
  );
}

/** Everything a student (and a guardian of Ann) can ask about this quiz, with Ann's and Ben's attempts. */
async function studentSurface(w: QuizWorld, quiz: MadeQuiz, annAttempt: string, benAttempt: string): Promise<Record<string, Response>> {
  const get = (who: Person, path: string) => w.request(who, 'GET', path);
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
    'late save': await w.request(w.ann, 'PUT', `/api/v1/quiz-attempts/${annAttempt}/answers/${quiz.questions.short?.id}`, { response: { text: 'x' } }),
    'ben attempt': await get(w.ann, `/api/v1/quiz-attempts/${benAttempt}`),
    'ben results': await get(w.ann, `/api/v1/quizzes/${quiz.id}/my-results?student_id=${w.ben.id}`),
    'guardian quiz': await get(w.guardian, `/api/v1/quizzes/${quiz.id}`),
    'guardian questions': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/questions`),
    'guardian results': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/my-results?student_id=${w.ann.id}`),
    'guardian attempts': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/attempts`),
    'guardian attempt': await get(w.guardian, `/api/v1/quiz-attempts/${annAttempt}`),
    'guardian ben attempt': await get(w.guardian, `/api/v1/quiz-attempts/${benAttempt}`),
    'guardian leaderboard': await get(w.guardian, `/api/v1/quizzes/${quiz.id}/leaderboard`),
    'guardian class quizzes': await get(w.guardian, `/api/v1/classes/${w.klass.id}/quizzes`),
    // Where else a quiz score surfaces.
    dashboard: await get(w.ann, '/api/v1/me/dashboard'),
    gradebook: await get(w.ann, `/api/v1/classes/${w.klass.id}/gradebook`),
    'guardian dashboard': await get(w.guardian, '/api/v1/me/dashboard'),
    'guardian gradebook': await get(w.guardian, `/api/v1/classes/${w.klass.id}/gradebook`),
  };
}

/** Ann answers everything wrong (so her own answers never echo the key); Ben writes private text. */
async function takeQuiz(w: QuizWorld, quiz: MadeQuiz) {
  const ann = await start(w, w.ann, quiz.id);
  const during: Response[] = [ann];
  for (const [name, question] of Object.entries(quiz.questions)) {
    during.push(await w.request(w.ann, 'PUT', `/api/v1/quiz-attempts/${ann.body.id}/answers/${question.id}`, { response: WRONG[name as keyof typeof WRONG] }));
  }
  during.push(await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${ann.body.id}`));
  const ben = await start(w, w.ben, quiz.id);
  await w.request(w.ben, 'PUT', `/api/v1/quiz-attempts/${ben.body.id}/answers/${quiz.questions.short?.id}`, { response: { text: BEN_MARK } });
  await w.request(w.ben, 'PUT', `/api/v1/quiz-attempts/${ben.body.id}/answers/${quiz.questions.single?.id}`, { response: RIGHT.single });
  await submit(w, w.ben, ben.body.id);
  during.push(await submit(w, w.ann, ann.body.id));
  return { annAttempt: ann.body.id as string, benAttempt: ben.body.id as string, during };
}

const ALL = ['single', 'multiple', 'trueFalse', 'short', 'numeric', 'essay'] as const;
const PARTS = ['score', 'correctness', 'answers'] as const;
type Part = (typeof PARTS)[number];
const MOMENTS = ['after_attempt', 'after_close', 'manual'] as const;
type Moment = (typeof MOMENTS)[number];
type Setting = Record<Part, Moment>;

// Every setting a teacher may choose: a part is never released at an earlier moment than the
// part it would give away (correctness gives the score away, the key gives correctness away).
const SETTINGS: Setting[] = MOMENTS.flatMap((score) => MOMENTS.flatMap((correctness) => MOMENTS.map((answers) => ({ score, correctness, answers })))).filter(
  (s) => MOMENTS.indexOf(s.score) <= MOMENTS.indexOf(s.correctness) && MOMENTS.indexOf(s.correctness) <= MOMENTS.indexOf(s.answers),
);

/** What the settings promise, stated plainly: a part is out for the whole class once released by
 * hand or, unless manual, once the quiz has closed; for a student's submitted attempt also when
 * it is released after each attempt; and never before the parts ahead of it. */
function promised(setting: Setting, closed: boolean, byHand: ReadonlySet<Part>) {
  const chain = (holds: (p: Part) => boolean) => {
    const out = new Set<Part>();
    for (const p of PARTS) {
      if (!holds(p)) break;
      out.add(p);
    }
    return out;
  };
  const forAll = chain((p) => byHand.has(p) || (closed && setting[p] !== 'manual'));
  const forAttempt = chain((p) => setting[p] === 'after_attempt' || forAll.has(p));
  return { forAll, forAttempt };
}

type Q = { id: string; score?: unknown; feedback?: unknown; key?: unknown };
/** Which parts an attempt view holds. */
function partsIn(view: { score?: unknown; questions?: Q[] }): Set<Part> {
  const parts = new Set<Part>();
  if ('score' in view) parts.add('score');
  if (view.questions?.some((q) => 'score' in q || 'feedback' in q)) parts.add('correctness');
  if (view.questions?.some((q) => 'key' in q)) parts.add('answers');
  return parts;
}
const sorted = (parts: Iterable<Part>) => PARTS.filter((p) => new Set(parts).has(p));

for (const setting of SETTINGS) {
  const name = `score ${setting.score}, correctness ${setting.correctness}, answers ${setting.answers}`;
  // Serial: ten schools at once, each with every endpoint in five phases, would only measure the pool.
  test.serial(`release ${name}: each part only at its moment; never the key to a guardian, never another student’s answers`, async (t) => {
    const w = await quizWorld();
    const quiz = await makeQuiz(
      w,
      {
        score_release: setting.score,
        correctness_release: setting.correctness,
        answers_release: setting.answers,
        closes_at: inMinutes(w.clock, 30),
        attempts_allowed: 2,
        leaderboard: true,
      },
      [...ALL],
    );
    const { annAttempt, benAttempt, during } = await takeQuiz(w, quiz);
    // The last is Ann's submit, which is her attempt view (checked below as "resubmit").
    for (const res of during.slice(0, -1)) t.deepEqual(found(res.text, [...KEY_MARKS, BEN_MARK]), [], `while taking it: ${res.text.slice(0, 120)}`);

    const check = async (phase: string, closed: boolean, byHand: ReadonlySet<Part>) => {
      const { forAll, forAttempt } = promised(setting, closed, byHand);
      const surface = await studentSurface(w, quiz, annAttempt, benAttempt);
      const at = (what: string) => `${phase}: ${what}`;
      for (const [what, res] of Object.entries(surface)) {
        t.true(res.status < 500, at(what));
        const keyAllowed = forAttempt.has('answers') && (what === 'attempt' || what === 'resubmit');
        const leaked = found(res.text, [...KEY_MARKS, BEN_MARK, w.ben.id]).filter((m) => !(keyAllowed && KEY_MARKS.includes(m)));
        t.deepEqual(leaked, [], at(what));
      }
      t.is(surface['ben attempt']?.status, 404, at('ben attempt'));
      t.is(surface['ben results']?.status, 404, at('ben results'));
      t.is(surface['guardian ben attempt']?.status, 404, at('guardian ben attempt'));
      t.is(surface.questions?.status, 403, at('questions'));
      t.is(surface['guardian questions']?.status, 403, at('guardian questions'));
      // Ann's own attempt, read and re-submitted: exactly the promised parts.
      for (const what of ['attempt', 'resubmit']) {
        t.is(surface[what]?.status, 200, at(what));
        t.deepEqual(sorted(partsIn(surface[what]?.body)), sorted(forAttempt), at(what));
      }
      const attempts = surface.attempts?.body.data as { id: string; status: string; score?: unknown; questions?: unknown }[];
      t.true(attempts.length > 0, at('attempts'));
      for (const a of attempts) {
        t.is('score' in a, a.status === 'submitted' && forAttempt.has('score'), at(`attempts: ${a.id}`));
        t.is(a.questions, undefined, at('attempts list has no questions'));
      }
      t.is(surface['my results']?.body.score_released, forAttempt.has('score'), at('my results'));
      t.is(surface['my results']?.body.score, forAttempt.has('score') ? 0 : null, at('my results'));
      // Her guardian: the score as she sees it, never questions, per-question results or the key.
      t.deepEqual(sorted(partsIn(surface['guardian attempt']?.body)), forAttempt.has('score') ? ['score'] : [], at('guardian attempt'));
      t.is(surface['guardian attempt']?.body.questions, undefined, at('guardian attempt'));
      t.is(surface['guardian results']?.body.score, forAttempt.has('score') ? 0 : null, at('guardian results'));
      const theirs = (surface['guardian attempts']?.body.data ?? []) as { status: string; score?: unknown; questions?: unknown }[];
      t.true(theirs.length > 0, at('guardian attempts'));
      for (const a of theirs) {
        t.is('score' in a, a.status === 'submitted' && forAttempt.has('score'), at('guardian attempts'));
        t.is(a.questions, undefined, at('guardian attempts'));
      }
      // The class-wide state and the leaderboard (others' scores) follow the release for everyone.
      t.like(
        surface.quiz?.body,
        { score_released: forAll.has('score'), correctness_released: forAll.has('correctness'), answers_released: forAll.has('answers') },
        at('quiz'),
      );
      t.is(surface.leaderboard?.status, forAll.has('score') ? 200 : 403, at('leaderboard'));
      t.is(surface['guardian leaderboard']?.status, 403, at('guardian leaderboard'));
      // The gradebook and the dashboards show no score of this quiz before it is released.
      if (!forAttempt.has('score')) {
        for (const what of ['gradebook', 'guardian gradebook']) {
          const cells = (surface[what]?.body.rows ?? []).flatMap((r: { cells: { item_id: string; score: unknown }[] }) => r.cells);
          t.true(
            cells.filter((c: { item_id: string }) => c.item_id === quiz.id).every((c: { score: unknown }) => c.score === null),
            at(what),
          );
        }
        t.false(JSON.stringify(surface.dashboard?.body).includes(`"id":"${quiz.id}","class"`), at('dashboard recent grades'));
        t.false(JSON.stringify(surface['guardian dashboard']?.body).includes(`"id":"${quiz.id}","class"`), at('guardian dashboard recent grades'));
      }
      if (forAll.has('score')) t.deepEqual(surface.leaderboard?.body.data[0], { rank: 1, name: 'Ben B.', score: 2, me: false });
    };

    const byHand = new Set<Part>();
    await check('before close', false, byHand);
    w.clock.advance(30 * 60 + 10);
    await check('after close, within the grace', false, byHand);
    w.clock.advance(30);
    await check('after close', true, byHand);
    // Each manual part, released by hand one after the other.
    for (const part of PARTS.filter((p) => setting[p] === 'manual')) {
      const res = await w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { [`${part}_released`]: true });
      t.is(res.status, 200);
      byHand.add(part);
      await check(`after releasing ${part} by hand`, true, byHand);
    }
  });
}

test('by default a student who used every attempt gets the score only: no per-question results or key while the quiz is open', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { attempts_allowed: 1, closes_at: inMinutes(w.clock, 60) }, ['single', 'trueFalse', 'short']);
  const { annAttempt } = await takeQuiz(w, quiz);
  const view = await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${annAttempt}`);
  t.is(view.body.score, 0);
  t.deepEqual(sorted(partsIn(view.body)), ['score']);
  t.deepEqual(found(view.text, [...KEY_MARKS, BEN_MARK]), [], 'a true/false question’s score would be its key');
  t.is((await start(w, w.ann, quiz.id)).status, 409, 'no attempt left');
  w.clock.advance(60 * 60 + 30);
  const closed = (await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${annAttempt}`)).body;
  t.deepEqual(sorted(partsIn(closed)), ['score', 'correctness', 'answers']);
  t.deepEqual(closed.questions.find((q: { id: string }) => q.id === quiz.questions.short?.id).key, { accepted_answers: ['Au'] });
});

test('releases by hand bring the parts before them; taking one back takes the parts after it', async (t) => {
  const w = await quizWorld();
  const quiz = await makeQuiz(w, { score_release: 'manual', correctness_release: 'manual', answers_release: 'manual' }, ['trueFalse']);
  const { annAttempt } = await takeQuiz(w, quiz);
  const parts = async () => sorted(partsIn((await w.request(w.ann, 'GET', `/api/v1/quiz-attempts/${annAttempt}`)).body));
  const patch = (body: unknown) => w.request(w.teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, body);
  t.deepEqual(await parts(), []);
  t.like((await patch({ answers_released: true })).body, { score_released: true, correctness_released: true, answers_released: true });
  t.deepEqual(await parts(), ['score', 'correctness', 'answers']);
  t.like((await patch({ correctness_released: false })).body, { score_released: true, correctness_released: false, answers_released: false });
  t.deepEqual(await parts(), ['score']);
  t.is((await w.request(w.ann, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { answers_released: true })).status, 403, 'students release nothing');
  const wrongOrder = await patch({ answers_release: 'after_attempt' });
  t.is(wrongOrder.status, 422);
  t.is(wrongOrder.body.errors[0].field, 'answers_release');
});
