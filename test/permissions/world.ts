// One school with one of everything, seen from each role, for the permission matrix
// (docs/permissions.md). The teacher teaches the class, the student is enrolled in it, the
// guardian is linked to the student: every probe tries the action on a record in the role's own
// reach, so "allowed" cells are exercised on real targets and "—" cells must be refused.
// What is built here is only read by the probes (or written with the value it already has);
// a probe that changes, archives or deletes something makes its own fresh target with the
// makers below, so no probe depends on another having run before it.
import { randomBytes } from 'node:crypto';
import { totpCodeAt } from '../../api/auth/totp.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, createSchool, type Person } from '../helpers/factories.ts';
import { type Response, startApp } from '../helpers/http.ts';
import { idpMetadata, keyPair } from '../helpers/saml-idp.ts';
import { startStripeServer } from '../helpers/stripe-server.ts';

export const ROLES = ['admin', 'teacher', 'student', 'guardian'] as const;
export type MatrixRole = (typeof ROLES)[number];

export async function matrixWorld() {
  const stripeStandIn = await startStripeServer();
  const app = await startApp({ stripe: { secretKey: 'sk_test_edify', webhookSecrets: ['whsec_matrix_0123456789abcdef'], apiBase: stripeStandIn.url } });
  const school = await createSchool();
  await testEnv()
    .dbs.owner('tenants')
    .where({ id: school.tenant.id })
    .update({ stripe_customer_id: `cus_${school.slug.replace(/-/g, '')}` });
  const teacher = await createPerson(school, 'teacher');
  const student = await createPerson(school, 'student');
  const guardian = await createPerson(school, 'guardian');
  const klass = await createClassIn(school, { teachers: [teacher], students: [student] }, 'Maths');
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
  const metadata = (name: string) =>
    idpMetadata({ entityId: `https://idp-${name}.district.test/saml`, ssoUrl: `https://idp-${name}.district.test/sso`, certs: [keyPair('idp').cert] });
  const ssoMetadata = () => metadata(unique());
  const ssoConnection = await must(asAdmin('POST', '/api/v1/sso/connections', { metadata_xml: ssoMetadata(), name: 'District' }), 'sso connection');

  // Fresh targets for probes that change what they touch.
  const freshPerson = (role: MatrixRole) => createPerson(school, role);
  /** A person of the role with two-factor sign-in set up (a target for an admin's reset). */
  const freshWithTwoFactor = async (role: MatrixRole) => {
    const person = await freshPerson(role);
    const started = await must(call(person, 'POST', '/api/v1/me/two-factor'), 'start two-factor');
    await must(call(person, 'POST', '/api/v1/me/two-factor/confirm', { code: totpCodeAt(started.secret as string, Date.now()) }), 'confirm two-factor');
    return person;
  };
  /** A class the teacher teaches, with the student (so the guardian's reach too). */
  const freshClass = () => createClassIn(school, { teachers: [teacher], students: [student] }, `Class ${unique()}`);
  /** Homework in the class, published (unless told), with the student's submission when asked. */
  const freshHomework = async (options: { publish?: boolean; submitted?: boolean } = {}) => {
    const made = await must(
      call(teacher, 'POST', `/api/v1/classes/${klass.id}/homework`, {
        title: `Homework ${unique()}`,
        points: 10,
        due_at: dueAt,
        ...(options.publish === false ? {} : { publish_at: 'now' }),
      }),
      'fresh homework',
    );
    if (options.submitted) await must(call(student, 'PUT', `/api/v1/homework/${made.id}/submission`, { body: 'Mine' }), 'fresh submission');
    return made as { id: string };
  };
  /** A quiz in the class with a true/false and a long-answer question; published unless told. */
  const freshQuiz = async (options: { publish?: boolean } = {}) => {
    const made = await must(call(teacher, 'POST', `/api/v1/classes/${klass.id}/quizzes`, { title: `Quiz ${unique()}`, attempts_allowed: null }), 'fresh quiz');
    const trueFalse = await must(
      call(teacher, 'POST', `/api/v1/quizzes/${made.id}/questions`, { type: 'true_false', prompt: 'Ice floats.', points: 1, correct: true }),
      'fresh question',
    );
    const essay = await must(call(teacher, 'POST', `/api/v1/quizzes/${made.id}/questions`, { type: 'long_answer', prompt: 'Why?', points: 2 }), 'fresh essay');
    if (options.publish !== false) await must(call(teacher, 'POST', `/api/v1/quizzes/${made.id}/publish`), 'publish fresh quiz');
    return { id: made.id as string, trueFalse: trueFalse.id as string, essay: essay.id as string };
  };
  /** A class the student may join with its code. */
  const freshJoinCode = async () => {
    const joinable = await createClassIn(school, { teachers: [await createPerson(school, 'teacher')] }, `Club ${unique()}`);
    return (await must(asAdmin('GET', `/api/v1/classes/${joinable.id}`), 'join code')).join_code as string;
  };
  return {
    app,
    school,
    people,
    teacher,
    student,
    guardian,
    klass,
    homework,
    resource,
    notice,
    quiz,
    quizQuestion,
    quizAttempt,
    ssoConnection,
    ssoMetadata,
    dueAt,
    call,
    asAdmin,
    must,
    unique,
    freshPerson,
    freshWithTwoFactor,
    freshClass,
    freshHomework,
    freshQuiz,
    freshJoinCode,
  };
}

export type MatrixWorld = Awaited<ReturnType<typeof matrixWorld>>;
