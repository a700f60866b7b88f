// One school with one of everything, seen from each role, for the permission matrix
// (docs/permissions.md). The teacher teaches the class, the student is enrolled in it, the
// guardian is linked to the student: every probe tries the action on a record in the role's own
// reach, so "allowed" cells are exercised on real targets and "—" cells must fail.
import { randomBytes } from 'node:crypto';
import { createClassIn, createPerson, createSchool, type Person } from '../helpers/factories.ts';
import { type Response, startApp } from '../helpers/http.ts';

export const ROLES = ['admin', 'teacher', 'student', 'guardian'] as const;
export type MatrixRole = (typeof ROLES)[number];

export async function matrixWorld() {
  const app = await startApp();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const student = await createPerson(school, 'student');
  const guardian = await createPerson(school, 'guardian');
  const klass = await createClassIn(school, { teachers: [teacher], students: [student] }, 'Maths');
  const joinable = await createClassIn(school, { teachers: [await createPerson(school, 'teacher')] }, 'Chess club');
  const people: Record<MatrixRole, Person> = { admin: school.admin, teacher, student, guardian };
  const call = (who: Person, method: string, path: string, body?: unknown): Promise<Response> =>
    app.request(school.slug, method, path, { token: who.token, body });
  const asAdmin = (method: string, path: string, body?: unknown) => call(school.admin, method, path, body);
  const must = async (res: Promise<Response>, what: string) => {
    const r = await res;
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  await must(asAdmin('POST', `/api/v1/users/${student.id}/guardians`, { guardian_id: guardian.id }), 'link guardian');
  const joinCode = (await must(asAdmin('GET', `/api/v1/classes/${joinable.id}`), 'join code')).join_code as string;
  const dueAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const homework = await must(
    call(teacher, 'POST', `/api/v1/classes/${klass.id}/homework`, {
      title: 'Fractions',
      instructions: 'Page 12',
      points: 10,
      due_at: dueAt,
      publish_at: 'now',
    }),
    'homework',
  );
  await must(call(student, 'PUT', `/api/v1/homework/${homework.id}/submission`, { body: 'My answers' }), 'submission');
  const resource = await must(
    call(teacher, 'POST', `/api/v1/classes/${klass.id}/resources`, { kind: 'link', title: 'Video', url: 'https://example.org/v' }),
    'resource',
  );
  const notice = await must(call(teacher, 'POST', `/api/v1/classes/${klass.id}/notices`, { title: 'Trip', body: 'Friday', publish_at: 'now' }), 'notice');
  // A published quiz with a hand-graded question, the student's submitted attempt, results released.
  const quiz = await must(call(teacher, 'POST', `/api/v1/classes/${klass.id}/quizzes`, { title: 'Forces', attempts_allowed: null, leaderboard: true }), 'quiz');
  const quizQuestion = await must(
    call(teacher, 'POST', `/api/v1/quizzes/${quiz.id}/questions`, { type: 'long_answer', prompt: 'Explain.', points: 5 }),
    'quiz question',
  );
  await must(call(teacher, 'POST', `/api/v1/quizzes/${quiz.id}/publish`), 'publish quiz');
  const quizAttempt = await must(call(student, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`), 'quiz attempt');
  await must(call(student, 'PUT', `/api/v1/quiz-attempts/${quizAttempt.id}/answers/${quizQuestion.id}`, { response: { text: 'Because.' } }), 'quiz answer');
  await must(call(student, 'POST', `/api/v1/quiz-attempts/${quizAttempt.id}/submit`), 'quiz submit');
  await must(call(teacher, 'PATCH', `/api/v1/quizzes/${quiz.id}`, { answers_released: true }), 'quiz results');
  const unique = () => randomBytes(4).toString('hex');
  return {
    app,
    school,
    people,
    teacher,
    student,
    guardian,
    klass,
    joinable,
    joinCode,
    homework,
    resource,
    notice,
    quiz,
    quizQuestion,
    quizAttempt,
    dueAt,
    call,
    asAdmin,
    must,
    unique,
  };
}

export type MatrixWorld = Awaited<ReturnType<typeof matrixWorld>>;
