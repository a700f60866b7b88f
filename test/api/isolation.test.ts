// The heart of the foundation: two schools with look-alike data. Whatever school B's admin
// sends with school A's ids finds nothing (404) and changes nothing, on every route.
import test from 'ava';
import { abilityFor } from '../../api/access/ability.ts';
import { allRoutes } from '../../api/app.ts';
import { issueCertificate } from '../../api/courses/certificates.ts';
import { createLesson, createUnit } from '../../api/courses/service.ts';
import { setOffering } from '../../api/enrolment/service.ts';
import { createHomeworkInput } from '../../api/homework/schema.ts';
import { createHomework } from '../../api/homework/service.ts';
import { createClassNotice } from '../../api/notices/service.ts';
import { createResource, createTopic } from '../../api/resources/service.ts';
import { createConnection } from '../../api/sso/connections.ts';
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from '../helpers/env.ts';
import { createClassIn, createPerson, createSchool, inSchool, linkGuardian, type School } from '../helpers/factories.ts';
import { seedFile } from '../helpers/files.ts';
import { startApp } from '../helpers/http.ts';
import { seedQuizAttempt } from '../helpers/quizzes.ts';
import { idpMetadata, keyPair } from '../helpers/saml-idp.ts';

type World = {
  school: School;
  teacher: { id: string; token: string };
  student: { id: string; token: string };
  classId: string;
  connectionId: string;
  guardianId: string;
  quizQuestionId: string;
  /** A record of this school per route prefix; routes under a prefix get its id for `:id`. */
  ids: Record<string, string>;
};

async function lookAlike(name: string): Promise<World> {
  const school = await createSchool({ name });
  const teacher = await createPerson(school, 'teacher', { email: `teacher@same.test`, first_name: 'Tess' });
  const student = await createPerson(school, 'student', { email: `student@same.test`, first_name: 'Stu' });
  const klass = await createClassIn(school, { teachers: [teacher], students: [student] }, 'Year 5 Science');
  const metadata = idpMetadata({ entityId: 'https://idp.same.test', ssoUrl: 'https://idp.same.test/sso', certs: [keyPair('idp').cert] });
  const connection = await inSchool(school, (scope) => createConnection(scope, metadata, { name: 'Same District' }));
  const guardian = await createPerson(school, 'guardian', { email: 'guardian@same.test' });
  await linkGuardian(school, guardian, student);
  const dueInAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const homework = await inSchool(school, async (scope) => {
    const created = await createHomework(scope, klass.id, createHomeworkInput.parse({ title: 'Same homework', due_at: dueInAWeek, publish_at: 'now' }));
    const work = { homework_id: created.homework.id, student_id: student.id, class_id: klass.id, status: 'turned_in', body: 'Same work', version: 1 };
    await scope.db('submissions').insert({ tenant_id: school.tenant.id, ...work, submitted_at: new Date() });
    return created.homework;
  });
  const topic = await inSchool(school, (scope) => createTopic(scope, klass.id, { title: 'Same unit' }));
  const resource = await inSchool(school, (scope) =>
    createResource(scope, klass.id, { kind: 'link', title: 'Same link', url: 'https://example.org/same', topic_id: topic.id }),
  );
  const notice = await inSchool(school, async (scope) => {
    const created = await createClassNotice(scope, klass.id, { title: 'Same notice', body: 'Same body', publish_at: 'now' });
    await scope.db('notice_reads').insert({ tenant_id: school.tenant.id, notice_id: created.id, user_id: student.id, read_at: new Date() });
    return created;
  });
  const ids: Record<string, string> = {
    '/api/v1/resource-topics': topic.id,
    '/api/v1/resources': resource.id,
    '/api/v1/notices': notice.id,
    '/api/v1/users': teacher.id,
    '/api/v1/users/:id/guardians': student.id,
    '/api/v1/sso': connection.id,
    '/api/v1/classes': klass.id,
    '/api/v1/homework': homework.id,
  };
  ids['/api/v1/files'] = await seedFile(school, teacher);
  const quiz = await seedQuizAttempt(school, klass.id, student);
  ids['/api/v1/quizzes'] = quiz.quizId;
  ids['/api/v1/quiz-attempts'] = quiz.attemptId;
  // A course: a unit, a lesson the student has finished, and their certificate.
  const course = await inSchool(school, async (scope) => {
    const unit = await createUnit(scope, klass.id, { title: 'Same unit', publish_at: 'now' });
    const lesson = await createLesson(scope, unit.id, { title: 'Same lesson', body: 'Same body', publish_at: 'now' });
    const made = await scope.db('courses').where({ class_id: klass.id }).first();
    await scope
      .db('lesson_progress')
      .insert({ tenant_id: school.tenant.id, lesson_id: lesson.id, class_id: klass.id, student_id: student.id, completed: true, occurred_at: new Date() });
    const certificate = await issueCertificate(scope, made, student.id);
    const { code } = await scope.db('certificates').where({ id: certificate }).first('code');
    return { unit: unit.id, lesson: lesson.id, certificate: certificate as string, code: code as string };
  });
  ids['/api/v1/course-units'] = course.unit;
  ids['/api/v1/lessons'] = course.lesson;
  ids['/api/v1/certificates'] = course.certificate;
  ids[':code'] = course.code;
  // The admin pages and the catalogue address people, classes and connections by their own paths.
  ids['/admin/people'] = teacher.id;
  ids['/admin/people/:id/guardians'] = student.id;
  ids['/admin/classes'] = klass.id;
  ids['/admin/sign-on'] = connection.id;
  ids['/catalogue'] = klass.id;
  await inSchool(school, (scope) => setOffering(scope, klass.id, { self_enrol: true, cap: 30 }));
  // The web pages address the same records without the /api/v1 prefix.
  for (const [prefix, id] of Object.entries(ids)) if (prefix.startsWith('/api/v1/')) ids[prefix.slice('/api/v1'.length)] = id;
  return { school, teacher, student, classId: klass.id, connectionId: connection.id, guardianId: guardian.id, quizQuestionId: quiz.questionId, ids };
}

/** The id of school A's record for a route: the longest matching prefix, else the class. */
function idFor(path: string, a: World): string {
  const prefix = Object.keys(a.ids)
    .filter((p) => path.startsWith(p))
    .sort((x, y) => y.length - x.length)[0];
  return prefix ? (a.ids[prefix] as string) : a.classId;
}

async function snapshot(tenantId: string) {
  const { dbs } = testEnv();
  return withTenant(dbs.app, { id: tenantId }, async (db) => ({
    users: await db('users').select('id', 'email', 'role', 'status', 'first_name').orderBy('id'),
    classes: await db('classes').select('id', 'name', 'archived_at', 'join_code', 'join_code_enabled', 'grade_weights').orderBy('id'),
    connections: await db('saml_connections').select('id', 'enabled', 'idp_entity_id', 'certificates').orderBy('id'),
    enrollments: await db('enrollments').select('class_id', 'user_id', 'role').orderBy(['class_id', 'user_id']),
    guardianLinks: await db('guardian_links').select('guardian_id', 'student_id', 'relationship').orderBy(['guardian_id', 'student_id']),
    homework: await db('homework').select('id', 'title', 'points', 'due_at', 'publish_at', 'assign_to_all').orderBy('id'),
    homeworkAssignees: await db('homework_assignees').select('homework_id', 'student_id').orderBy(['homework_id', 'student_id']),
    submissions: await db('submissions').select('id', 'student_id', 'status', 'body', 'score', 'feedback', 'returned_at', 'version').orderBy('id'),
    submissionVersions: await db('submission_versions').select('submission_id', 'version').orderBy(['submission_id', 'version']),
    resourceTopics: await db('resource_topics').select('id', 'class_id', 'title', 'position').orderBy('id'),
    resources: await db('resources').select('id', 'class_id', 'topic_id', 'title', 'url', 'attachment', 'position').orderBy('id'),
    notices: await db('notices').select('id', 'class_id', 'title', 'body', 'pinned', 'publish_at', 'fanned_out_at').orderBy('id'),
    noticeReads: await db('notice_reads').select('notice_id', 'user_id', 'read_at').orderBy(['notice_id', 'user_id']),
    noticeDeliveries: await db('notice_deliveries').select('notice_id', 'user_id', 'status').orderBy(['notice_id', 'user_id']),
    quizzes: await db('quizzes').select('id', 'title', 'status', 'score_released_at', 'points_possible', 'updated_at').orderBy('id'),
    quizQuestions: await db('quiz_questions').select('id', 'position', 'prompt', 'points', 'key').orderBy('id'),
    quizAttempts: await db('quiz_attempts').select('id', 'number', 'submitted_at', 'score', 'counted', 'deadline_at').orderBy('id'),
    files: await db('files').select('id', 'status', 'storage_key', 'attached_id', 'size_bytes').orderBy('id'),
    courses: await db('courses').select('id', 'class_id', 'title', 'pass_percent', 'certificates', 'version').orderBy('id'),
    courseUnits: await db('course_units').select('id', 'title', 'position', 'publish_at', 'version').orderBy('id'),
    courseLessons: await db('course_lessons').select('id', 'title', 'body', 'position', 'publish_at', 'prerequisite_lesson_id').orderBy('id'),
    lessonProgress: await db('lesson_progress').select('lesson_id', 'student_id', 'completed', 'occurred_at').orderBy(['lesson_id', 'student_id']),
    certificates: await db('certificates').select('id', 'student_id', 'revoked_at', 'file_id').orderBy('id'),
    offerings: await db('course_offerings').select('id', 'class_id', 'self_enrol', 'cap', 'price_amount').orderBy('id'),
    quizAnswers: await db('quiz_answers').select('id', 'response', 'score', 'feedback', 'updated_at').orderBy('id'),
  }));
}

// A valid body for each route that takes one, using school A's ids where a route refers to a record.
function bodyFor(method: string, path: string, a: World): unknown {
  const bodies: Record<string, unknown> = {
    'patch /api/v1/classes/:id': { name: 'Renamed by B' },
    'patch /api/v1/users/:id': { first_name: 'Renamed by B', status: 'deactivated' },
    'post /api/v1/classes/:id/members': { user_id: a.student.id, role: 'student' },
    'post /api/v1/classes': { name: 'B class' },
    'put /api/v1/classes/:id/gradebook/weights': { weights: { homework: 50, quizzes: 50 } },
    'post /api/v1/classes/:id/homework': { title: 'B homework', due_at: '2030-01-10T17:00:00Z', publish_at: 'now' },
    'patch /api/v1/homework/:id': { title: 'Renamed by B', publish_at: null },
    'put /api/v1/homework/:id/submission': { body: 'Work from B' },
    'put /api/v1/homework/:id/submissions/:userId/grade': { score: 0, feedback: 'From B', return: true },
    'post /api/v1/homework/:id/grades': { grades: [{ student_id: a.student.id, score: 0, return: true }] },
    'post /api/v1/users/:id/guardians': { email: 'guardian@same.test', first_name: 'G', last_name: 'B' },
    'post /api/v1/classes/join': { code: 'ZZZZZZZ' },
    'post /api/v1/classes/:id/resources': { kind: 'link', title: 'B link', url: 'https://b.test/' },
    'put /api/v1/classes/:id/resource-order': { topic_id: a.ids['/api/v1/resource-topics'], resource_ids: [a.ids['/api/v1/resources']] },
    'post /api/v1/classes/:id/topics': { title: 'B unit' },
    'put /api/v1/classes/:id/topic-order': { topic_ids: [a.ids['/api/v1/resource-topics']] },
    'patch /api/v1/resource-topics/:id': { title: 'Renamed by B' },
    'patch /api/v1/resources/:id': { title: 'Renamed by B', topic_id: null },
    'post /api/v1/classes/:id/notices': { title: 'B notice', body: 'From B', publish_at: 'now' },
    'patch /api/v1/notices/:id': { title: 'Renamed by B', publish_at: null },
    'post /api/v1/users': { email: 'new@same.test', first_name: 'N', last_name: 'N', role: 'student' },
    'post /api/v1/auth/login': { email: 'teacher@same.test', password: 'correct horse battery' },
    'post /auth/saml/:connection/acs': 'SAMLResponse=PHNhbWxwOlJlc3BvbnNlLz4%3D',
    'patch /api/v1/sso/connections/:id': { enabled: false },
    'post /api/v1/classes/:id/quizzes': { title: 'B quiz' },
    'patch /api/v1/quizzes/:id': { title: 'Renamed by B', score_released: true },
    'post /api/v1/quizzes/:id/questions': { type: 'true_false', prompt: 'B?', points: 1, correct: false },
    'patch /api/v1/quizzes/:id/questions/:questionId': { prompt: 'Changed by B' },
    'post /api/v1/quizzes/:id/questions/:questionId/regrade': { correct: false },
    'put /api/v1/quiz-attempts/:id/answers/:questionId': { response: { value: false } },
    'put /api/v1/quiz-attempts/:id/grades/:questionId': { score: 1 },
    // Pages post forms (school A's ids in the path, valid fields in the body).
    'post /homework/:id/hand-in': 'body=From+B',
    'post /homework/:id/return-all': '_csrf=x',
    'post /homework/:id/submissions/:studentId/grade': 'score=0&feedback=From+B&action=return',
    'post /classes/:id/archive': 'archived=true',
    'post /classes/:id/notices': 'title=B+notice&body=From+B',
    'post /classes/:id/homework': 'title=B+homework&instructions=&points=1&due_at=2030-01-10T17:00&publish=now',
    'post /classes/:id/quizzes':
      'title=B+quiz&instructions=&time_limit_minutes=&attempts_allowed=1&opens_at=&closes_at=&score_release=after_attempt&correctness_release=after_close&answers_release=after_close',
    'post /quizzes/:id/start': '_csrf=x',
    'post /quizzes/:id/questions': 'type=true_false&prompt=B%3F&points=1&correct=false',
    'post /quizzes/:id/publish': '_csrf=x',
    'post /quiz-attempts/:id/submit': '_csrf=x',
    'post /me/devices/:id/sign-out': '_csrf=x',
    'post /lessons/:id/done': 'completed=true',
    'post /classes/:id/course/settings': 'course_title=B&pass_percent=&certificates=on',
    'post /classes/:id/course/units': 'title=B+unit&summary=&publish=now',
    'post /course-units/:id/publish': 'publish=now',
    'post /course-units/:id/lessons': 'title=B+lesson&body=From+B&publish=now&action=save',
    'post /lessons/:id/edit': 'title=Renamed+by+B&body=From+B&publish=now&action=save',
    'post /classes/:id/course/copy': 'name=B+copy',
    'post /course-units/:id/move': 'direction=up&version=0',
    'post /lessons/:id/move': 'direction=up&version=0',
    'post /homework/:id/edit': 'title=Renamed+by+B&instructions=&points=1&due_at=2030-01-10T17:00&publish=now&action=save',
    'post /catalogue/:id/enrol': '_csrf=x',
    'post /catalogue/:id/pay': '_csrf=x',
    'post /classes/:id/offering': 'self_enrol=on&opens_at=&closes_at=&cap=1&price=',
    'put /api/v1/classes/:id/offering': { self_enrol: false },
    'post /admin/people/:id/role': 'role=admin',
    'post /admin/people/:id/status': 'status=deactivated',
    'post /admin/people/:id/unlock': '_csrf=x',
    'post /admin/people/:id/two-factor/reset': '_csrf=x',
    'post /admin/people/:id/sign-out': '_csrf=x',
    'post /admin/people/:id/guardians': '_csrf=x&email=guardian%40same.test&first_name=Gail&last_name=Same&relationship=',
    'post /admin/people/:id/guardians/:guardianId/unlink': '_csrf=x',
    'post /admin/classes/:id/archive': 'archived=true',
    'post /admin/sign-on/:id': 'name=Renamed+by+B&role_attribute=&role_values=&default_role=student&allowed_domains=',
    'post /admin/sign-on/:id/metadata': `metadata_xml=${encodeURIComponent(idpMetadata({ entityId: 'https://evil.test', ssoUrl: 'https://evil.test/sso', certs: [keyPair('attacker').cert] }))}`,
    'post /admin/sign-on/:id/remove': '_csrf=x',
    'put /api/v1/classes/:id/course': { title: 'Renamed by B', pass_percent: 10 },
    'post /api/v1/classes/:id/course/units': { title: 'B unit', publish_at: 'now' },
    'put /api/v1/classes/:id/course/unit-order': { unit_ids: [a.ids['/api/v1/course-units']], version: 1 },
    'patch /api/v1/course-units/:id': { title: 'Renamed by B', publish_at: null },
    'post /api/v1/course-units/:id/lessons': { title: 'B lesson', publish_at: 'now' },
    'put /api/v1/course-units/:id/lesson-order': { lesson_ids: [a.ids['/api/v1/lessons']], version: 1 },
    'patch /api/v1/lessons/:id': { title: 'Renamed by B', publish_at: null },
    'post /api/v1/lessons/:id/progress': { event_id: 'from-b', completed: false },
    'post /api/v1/classes/:id/course/copy': { name: 'B copy' },
    'post /api/v1/certificates/:id/revoke': { reason: 'From B' },
    'put /api/v1/sso/connections/:id/metadata': {
      metadata_xml: idpMetadata({ entityId: 'https://evil.test', ssoUrl: 'https://evil.test/sso', certs: [keyPair('attacker').cert] }),
    },
  };
  return bodies[`${method} ${path}`];
}

test('school A’s ids are not found at school B, on every route with an id, and nothing changes', async (t) => {
  // No job worker in this file: the snapshot must not change under a notice being delivered.
  const app = await startApp({}, { worker: false });
  const a = await lookAlike('Lincoln Elementary');
  const b = await lookAlike('Lincoln Elementary');
  const before = await snapshot(a.school.tenant.id);
  const adminAbility = abilityFor({ type: 'user', user: { id: b.school.admin.id, role: 'admin', email: '', first_name: '', last_name: '', sessionId: '' } });
  const routes = allRoutes().filter((r) => r.host === 'tenant' && r.path.includes(':'));
  t.true(routes.length >= 5);
  // Every problem is collected and reported at once (AVA shows only a test's first failed assertion).
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const route of routes) {
    const path = route.path
      .replace(':questionId', a.quizQuestionId)
      .replace(':userId', a.student.id)
      .replace(':studentId', a.student.id)
      .replace(':connection', a.connectionId)
      .replace(':guardianId', a.guardianId)
      .replace(':code', a.ids[':code'] as string)
      .replace(':id', idFor(route.path, a));
    const body = route.body ? bodyFor(route.method, route.path, a) : undefined;
    if (route.body && body === undefined) {
      missing.push(`${route.method} ${route.path}`);
      continue;
    }
    const form = route.form && typeof body === 'string' ? { raw: body, headers: { 'content-type': 'application/x-www-form-urlencoded' } } : { body };
    const res = await app.request(b.school.slug, route.method.toUpperCase(), path, { token: b.school.admin.token, ...form });
    // A write an admin may never perform (handing in, marking a lesson done: students only) is
    // refused by role before any record is read (403): nothing of school A is looked up either.
    const byRole = typeof route.access === 'object' && adminAbility.cannot(route.access.action, route.access.subject);
    if (route.path.includes('/verify/')) {
      // Public verification answers every code; school A's genuine code is unknown at school B.
      if (res.status !== 200 || !/"status":"unknown"|no certificate with this code/.test(res.text)) wrong.push(`${route.method} ${route.path}: ${res.status}`);
    } else if (res.status !== (byRole ? 403 : 404)) wrong.push(`${route.method} ${route.path}: ${res.status}, expected ${byRole ? 403 : 404}`);
  }
  t.deepEqual(missing, [], 'routes this test needs a body for');
  t.deepEqual(wrong, [], 'routes that answered school B with something other than not found');
  t.deepEqual(await snapshot(a.school.tenant.id), before);
});

test('references to another school’s records inside a body are refused', async (t) => {
  const app = await startApp({}, { worker: false });
  const a = await lookAlike('Oakwood');
  const b = await lookAlike('Oakwood');
  const res = await app.request(b.school.slug, 'POST', `/api/v1/classes/${b.classId}/members`, {
    token: b.school.admin.token,
    body: { user_id: a.student.id, role: 'student' },
  });
  t.is(res.status, 422);
  t.is(res.body.errors[0].field, 'user_id');
  // Joining with A's class code from B finds nothing either.
  const codeA = (await app.request(a.school.slug, 'GET', `/api/v1/classes/${a.classId}`, { token: a.teacher.token })).body.join_code;
  const join = await app.request(b.school.slug, 'POST', '/api/v1/classes/join', { token: b.student.token, body: { code: codeA } });
  t.is(join.status, 422);
});

test('lists at school B never include school A’s rows', async (t) => {
  const app = await startApp({}, { worker: false });
  const a = await lookAlike('Maple');
  const b = await lookAlike('Maple');
  const users = await app.request(b.school.slug, 'GET', '/api/v1/users?limit=100', { token: b.school.admin.token });
  t.false(users.body.data.some((u: { id: string }) => [a.teacher.id, a.student.id, a.school.admin.id].includes(u.id)));
  t.is(users.body.data.length, 4);
  const classes = await app.request(b.school.slug, 'GET', '/api/v1/classes', { token: b.school.admin.token });
  t.deepEqual(
    classes.body.data.map((c: { id: string }) => c.id),
    [b.classId],
  );
});

test('a token from school A is refused at school B, even for a look-alike account', async (t) => {
  const app = await startApp({}, { worker: false });
  const a = await lookAlike('Cedar');
  const b = await lookAlike('Cedar');
  const res = await app.request(b.school.slug, 'GET', '/api/v1/me', { token: a.teacher.token });
  t.is(res.status, 401);
  t.is((await app.request(a.school.slug, 'GET', '/api/v1/me', { token: a.teacher.token })).status, 200);
  void b;
});

test('the same email can be used at two schools; login at one never signs in to the other', async (t) => {
  const app = await startApp({}, { worker: false });
  const a = await lookAlike('Birch');
  const b = await lookAlike('Birch');
  const login = await app.request(a.school.slug, 'POST', '/api/v1/auth/login', { body: { email: 'teacher@same.test', password: 'correct horse battery' } });
  t.is(login.status, 200);
  const me = await app.request(a.school.slug, 'GET', '/api/v1/me', { token: login.body.access_token });
  t.is(me.body.id, a.teacher.id);
  t.is((await app.request(b.school.slug, 'GET', '/api/v1/me', { token: login.body.access_token })).status, 401);
});

test('concurrent requests for different schools on a pool of one connection never mix rows', async (t) => {
  const app = await startApp({}, { worker: false });
  const { config } = testEnv();
  const { connect } = await import('../../api/db/connection.ts');
  // 60 sessions queue for one connection: a generous acquire timeout, so a loaded machine (or the
  // slower round trips behind pgbouncer in .ci/run's scale-out run) does not fail the test.
  const tiny = connect(config.appDatabaseUrl as string, 1, { acquireTimeoutMs: 120_000 });
  try {
    const schools = await Promise.all(['Ash', 'Elm', 'Fir'].map((n) => lookAlike(n)));
    const runs = [];
    for (let i = 0; i < 60; i++) {
      const w = schools[i % schools.length] as World;
      runs.push(
        withTenant(tiny, { id: w.school.tenant.id }, async (db) => {
          const ids = (await db('users').select('id')).map((r) => r.id).sort();
          return { expected: [w.school.admin.id, w.teacher.id, w.student.id, w.guardianId].sort(), ids };
        }),
      );
    }
    for (const { expected, ids } of await Promise.all(runs)) t.deepEqual(ids, expected);
    // And through HTTP, interleaved.
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const w = schools[i % schools.length] as World;
        return app.request(w.school.slug, 'GET', '/api/v1/me', { token: w.teacher.token }).then((r) => [r.body.id, w.teacher.id]);
      }),
    );
    for (const [got, want] of responses) t.is(got, want);
  } finally {
    await tiny.destroy();
  }
});
