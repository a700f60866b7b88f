// A class with a teacher, three students, linked guardians and outsiders, talking to the real app
// whose clock the test moves; plus sample questions of every type and small request helpers.
import { abilityFor } from '../../api/access/ability.ts';
import { saveAnswer, startAttempt } from '../../api/quizzes/attempts.ts';
import { addQuestion } from '../../api/quizzes/questions.ts';
import { createQuiz, publishQuiz } from '../../api/quizzes/service.ts';
import { inSchool, type Person, type School, scene } from './factories.ts';
import { type Client, type Response, startApp } from './http.ts';

export type Clock = { now: Date; advance: (seconds: number) => void };

/** Starts at the next whole minute of real time, so billing and tokens behave as usual. */
export function testClock(): Clock {
  const clock: Clock = {
    now: new Date(Math.ceil(Date.now() / 60_000) * 60_000),
    advance: (seconds) => {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };
  return clock;
}

export const inMinutes = (clock: Clock, minutes: number) => new Date(clock.now.getTime() + minutes * 60_000).toISOString();

export type QuizWorld = Awaited<ReturnType<typeof quizWorld>>;

export async function quizWorld(existing?: { app: Client; clock: Clock }) {
  const clock = existing?.clock ?? testClock();
  const w = await scene({
    app: existing?.app ?? startApp({}, { clock: () => clock.now }),
    people: {
      teacher: { role: 'teacher', first_name: 'Tess', last_name: 'Teacher' },
      otherTeacher: { role: 'teacher', first_name: 'Otto', last_name: 'Other' },
      ann: { role: 'student', first_name: 'Ann', last_name: 'Archer' },
      ben: { role: 'student', first_name: 'Ben', last_name: 'Baker' },
      cat: { role: 'student', first_name: 'Cat', last_name: 'Carter' },
      outsider: { role: 'student', first_name: 'Olly', last_name: 'Outsider' },
      guardian: { role: 'guardian', first_name: 'Gwen', last_name: 'Archer', guardianOf: ['ann'] },
      otherGuardian: { role: 'guardian', first_name: 'Gus', last_name: 'Outsider', guardianOf: ['outsider'] },
    },
    classes: {
      klass: { name: 'Physics', teachers: ['teacher'], students: ['ann', 'ben', 'cat'] },
      otherClass: { name: 'History', teachers: ['otherTeacher'], students: ['outsider'] },
    },
  });
  return { ...w, clock };
}

/** One question of each type. Prompts avoid the words a leak scan looks for. */
export const SAMPLE = {
  single: {
    type: 'single_choice',
    prompt: 'Which planet is largest?',
    points: 2,
    options: [
      { id: 'mars', text: 'Mars' },
      { id: 'jupiter', text: 'Jupiter', correct: true },
      { id: 'venus', text: 'Venus' },
    ],
  },
  multiple: {
    type: 'multiple_choice',
    prompt: 'Pick the noble gases',
    points: 3,
    scoring: 'partial',
    options: [
      { id: 'he', text: 'Helium', correct: true },
      { id: 'ne', text: 'Neon', correct: true },
      { id: 'ox', text: 'Oxygen' },
      { id: 'ni', text: 'Nitrogen' },
    ],
  },
  trueFalse: { type: 'true_false', prompt: 'Sound travels in a vacuum.', points: 1, correct: false },
  short: { type: 'short_answer', prompt: 'Chemical symbol of gold?', points: 1, accepted_answers: ['Au'] },
  numeric: { type: 'numeric', prompt: 'Free-fall acceleration in m/s²?', points: 2, answer: 9.81, tolerance: 0.05 },
  essay: { type: 'long_answer', prompt: 'Explain inertia.', points: 5 },
} as const;

export type MadeQuiz = { id: string; questions: Record<string, { id: string; options?: { id: string; text: string; correct: boolean }[] }> };

/** Creates (as the class's teacher) a quiz with the named sample questions, published unless told. */
export async function makeQuiz(
  w: QuizWorld,
  settings: Record<string, unknown> = {},
  names: (keyof typeof SAMPLE)[] = ['single', 'multiple', 'trueFalse', 'short', 'numeric'],
  options: { publish?: boolean } = {},
): Promise<MadeQuiz> {
  const created = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, { title: 'Forces and matter', ...settings });
  if (created.status !== 201) throw new Error(`quiz not created: ${created.status} ${created.text}`);
  const made: MadeQuiz = { id: created.body.id, questions: {} };
  for (const name of names) {
    const res = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${made.id}/questions`, SAMPLE[name]);
    if (res.status !== 201) throw new Error(`question not added: ${res.status} ${res.text}`);
    made.questions[name] = res.body;
  }
  if (options.publish !== false) {
    const published = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${made.id}/publish`);
    if (published.status !== 200) throw new Error(`not published: ${published.status} ${published.text}`);
  }
  return made;
}

/** Right answers to the samples, by name. */
export const RIGHT: Record<keyof typeof SAMPLE, unknown> = {
  single: { option_id: 'jupiter' },
  multiple: { option_ids: ['he', 'ne'] },
  trueFalse: { value: false },
  short: { text: '  au ' },
  numeric: { value: 9.8 },
  essay: { text: 'Objects keep doing what they were doing.' },
};

/** Wrong answers to the samples, by name. */
export const WRONG: Record<keyof typeof SAMPLE, unknown> = {
  single: { option_id: 'mars' },
  multiple: { option_ids: ['ox'] },
  trueFalse: { value: true },
  short: { text: 'Ag' },
  numeric: { value: 3.2 },
  essay: { text: 'No idea.' },
};

export async function start(w: QuizWorld, who: Person, quizId: string): Promise<Response> {
  return w.request(who, 'POST', `/api/v1/quizzes/${quizId}/attempts`);
}

/** Starts an attempt and saves the given answers (by sample name); returns the attempt id. */
export async function attemptWith(w: QuizWorld, who: Person, quiz: MadeQuiz, answers: Partial<Record<keyof typeof SAMPLE, unknown>>): Promise<string> {
  const started = await start(w, who, quiz.id);
  if (started.status !== 201 && started.status !== 200) throw new Error(`not started: ${started.status} ${started.text}`);
  for (const [name, response] of Object.entries(answers)) {
    const question = quiz.questions[name];
    if (!question) throw new Error(`no ${name} question`);
    const saved = await w.request(who, 'PUT', `/api/v1/quiz-attempts/${started.body.id}/answers/${question.id}`, { response });
    if (saved.status !== 200) throw new Error(`not saved: ${saved.status} ${saved.text}`);
  }
  return started.body.id;
}

export async function submit(w: QuizWorld, who: Person, attemptId: string): Promise<Response> {
  return w.request(who, 'POST', `/api/v1/quiz-attempts/${attemptId}/submit`);
}

/** A published quiz with one question and a student's attempt holding an answer, made through
 * the services (no app needed): the isolation test's look-alike record. */
export async function seedQuizAttempt(school: School, classId: string, student: Person): Promise<{ quizId: string; questionId: string; attemptId: string }> {
  return inSchool(school, async (scope) => {
    const quiz = await createQuiz(scope, classId, { title: 'Look-alike quiz' });
    const question = await addQuestion(scope, quiz.id, { type: 'true_false', prompt: 'Same?', points: 1, correct: true });
    await publishQuiz(scope, quiz.id);
    const actor = {
      type: 'user' as const,
      user: { id: student.id, role: 'student' as const, email: student.email, first_name: 'S', last_name: 'S', sessionId: 'seed' },
    };
    const asStudent = { ...scope, actor, ability: abilityFor(actor) };
    const { attempt } = await startAttempt(asStudent, quiz.id);
    await saveAnswer(asStudent, attempt.id, question.id, { response: { value: true } });
    return { quizId: quiz.id, questionId: question.id, attemptId: attempt.id };
  });
}
