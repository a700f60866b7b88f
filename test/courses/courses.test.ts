// Courses (issue #18): locks on every route, progress from out-of-order and repeated events,
// exactly one certificate under racing completions, the certificate PDF, public verification,
// and a copy that equals its source and shares no rows with it.
import test from 'ava';
import { extractText, getDocumentProxy } from 'unpdf';
import { certificateJob } from '../../api/courses/certificate-job.ts';
import { courseCopyJob } from '../../api/courses/copy-job.ts';
import { fileServices } from '../../api/files/service.ts';
import type { Mailer } from '../../api/mail/mailer.ts';
import { testEnv } from '../helpers/env.ts';
import { readAll, seedFile } from '../helpers/files.ts';
import { startApp } from '../helpers/http.ts';
import { testJobs, workerDeps } from '../helpers/jobs.ts';
import { attemptWith, makeQuiz, type QuizWorld, quizWorld, RIGHT, submit, testClock, WRONG } from '../helpers/quizzes.ts';

const clock = testClock();
// No worker in this file: the test runs the certificate job itself, when it wants to.
const app = startApp({}, { clock: () => clock.now, worker: false });
const world = async () => quizWorld({ app: await app, clock });

/** Unit 1: A, then B (after A, with a file). Unit 2 (opens when the quiz is passed with 50 %): C. */
async function buildCourse(w: QuizWorld) {
  const quiz = await makeQuiz(w, { attempts_allowed: null }, ['single']);
  const ok = async (p: Promise<{ status: number; body: any; text: string }>, status = 201) => {
    const r = await p;
    if (r.status !== status) throw new Error(`${r.status} ${r.text}`);
    return r.body;
  };
  const u1 = await ok(w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/course/units`, { title: 'Forces', publish_at: 'now' }));
  const u2 = await ok(
    w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/course/units`, { title: 'Energy', publish_at: 'now', gate_quiz_id: quiz.id, gate_percent: 50 }),
  );
  const a = await ok(
    w.request(w.teacher, 'POST', `/api/v1/course-units/${u1.id}/lessons`, {
      title: 'Pushes and pulls',
      body: 'Read *this* <script>alert(1)</script>',
      video_url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      estimated_minutes: 10,
      publish_at: 'now',
    }),
  );
  const fileId = await seedFile(w.school, w.teacher, 'notes.pdf');
  const b = await ok(
    w.request(w.teacher, 'POST', `/api/v1/course-units/${u1.id}/lessons`, {
      title: 'Friction',
      body: 'Secret body of B',
      attachments: [{ file_id: fileId }],
      prerequisite_lesson_id: a.id,
      publish_at: 'now',
    }),
  );
  const c = await ok(w.request(w.teacher, 'POST', `/api/v1/course-units/${u2.id}/lessons`, { title: 'Work', body: 'Body of C', publish_at: 'now' }));
  return { quiz, u1, u2, a, b, c, fileId };
}

test('lessons: sanitised Markdown, privacy-enhanced video, other hosts refused', async (t) => {
  const w = await world();
  const { a, u1 } = await buildCourse(w);
  t.is(a.video_embed_url, 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ');
  t.false(a.body_html.includes('<script'));
  const vimeo = await w.request(w.teacher, 'POST', `/api/v1/course-units/${u1.id}/lessons`, { title: 'V', video_url: 'https://vimeo.com/76979871' });
  t.is(vimeo.body.video_embed_url, 'https://player.vimeo.com/video/76979871?dnt=1');
  const other = await w.request(w.teacher, 'POST', `/api/v1/course-units/${u1.id}/lessons`, { title: 'X', video_url: 'https://videos.example.com/x.mp4' });
  t.is(other.status, 422);
  t.is(other.body.errors[0].field, 'video_url');
});

test('a student cannot open a locked lesson through any route', async (t) => {
  const w = await world();
  const { a, b, c, fileId, quiz } = await buildCourse(w);
  const outline = await w.request(w.ann, 'GET', `/api/v1/classes/${w.klass.id}/course`);
  t.is(outline.status, 200);
  const lessons = outline.body.units.flatMap((u: any) => u.lessons);
  t.deepEqual(
    lessons.map((l: any) => [l.title, l.lock.locked]),
    [
      ['Pushes and pulls', false],
      ['Friction', true],
      ['Work', true],
    ],
  );
  t.false(JSON.stringify(outline.body).includes('Secret body'));
  t.regex(lessons[1].lock.explanation, /Pushes and pulls/);

  const locked = async (id: string) => {
    const api = await w.request(w.ann, 'GET', `/api/v1/lessons/${id}`);
    t.is(api.status, 403, 'API');
    t.false(api.text.includes('Secret body'));
    const page = await w.request(w.ann, 'GET', `/lessons/${id}`);
    t.is(page.status, 403, 'page');
    t.false(page.text.includes('Secret body'));
    t.is((await w.request(w.ann, 'POST', `/api/v1/lessons/${id}/progress`, { event_id: `try-${id}` })).status, 403, 'progress');
  };
  await locked(b.id);
  await locked(c.id);
  t.is((await w.request(w.ann, 'GET', `/api/v1/files/${fileId}`)).status, 404, 'the locked lesson’s file');
  // The teacher sees everything; another class's student nothing.
  t.is((await w.request(w.teacher, 'GET', `/api/v1/lessons/${b.id}`)).status, 200);
  t.is((await w.request(w.outsider, 'GET', `/api/v1/lessons/${a.id}`)).status, 404);

  // Finishing A opens B (and its file); passing the quiz opens unit 2.
  t.is((await w.request(w.ann, 'POST', `/api/v1/lessons/${a.id}/progress`, { event_id: 'a-1' })).status, 200);
  const opened = await w.request(w.ann, 'GET', `/api/v1/lessons/${b.id}`);
  t.is(opened.status, 200);
  t.is(opened.body.body, 'Secret body of B');
  t.is((await w.request(w.ann, 'GET', `/api/v1/files/${fileId}`)).status, 200);
  const wrong = await attemptWith(w, w.ann, quiz, { single: WRONG.single });
  await submit(w, w.ann, wrong);
  t.is((await w.request(w.ann, 'GET', `/api/v1/lessons/${c.id}`)).status, 403, 'a failed quiz keeps unit 2 shut');
  const right = await attemptWith(w, w.ann, quiz, { single: RIGHT.single });
  await submit(w, w.ann, right);
  t.is((await w.request(w.ann, 'GET', `/api/v1/lessons/${c.id}`)).status, 200);
  t.is((await w.request(w.ann, 'GET', `/lessons/${c.id}`)).status, 200);
});

test('progress totals are right after out-of-order and repeated events', async (t) => {
  const w = await world();
  const { a } = await buildCourse(w);
  const at = (m: number) => new Date(clock.now.getTime() - m * 60_000).toISOString();
  const send = (event_id: string, completed: boolean, occurred_at: string) =>
    w.request(w.ben, 'POST', `/api/v1/lessons/${a.id}/progress`, { event_id, completed, occurred_at });
  // Completed 1 minute ago arrives first; "not complete" from 5 minutes ago arrives late.
  t.deepEqual((await send('e2', true, at(1))).body, { completed: true, duplicate: false });
  t.deepEqual((await send('e1', false, at(5))).body, { completed: true, duplicate: false });
  t.deepEqual((await send('e2', true, at(1))).body, { completed: true, duplicate: true });
  const progress = await w.request(w.teacher, 'GET', `/api/v1/classes/${w.klass.id}/course/progress`);
  const ben = progress.body.data.find((r: any) => r.student_id === w.ben.id);
  t.like(ben, { completed_lessons: 1, total_lessons: 3, percent: 33, complete: false });
  t.is(ben.stuck_at.title, 'Friction');
  t.deepEqual(
    ben.units.map((u: any) => [u.completed_lessons, u.total_lessons]),
    [
      [1, 2],
      [0, 1],
    ],
  );
  // Students see only their own row; a linked guardian their student's; nobody else's.
  const own = await w.request(w.ben, 'GET', `/api/v1/classes/${w.klass.id}/course/progress`);
  t.deepEqual(
    own.body.data.map((r: any) => r.student_id),
    [w.ben.id],
  );
  const guardian = await w.request(w.guardian, 'GET', `/api/v1/classes/${w.klass.id}/course/progress`);
  t.deepEqual(
    guardian.body.data.map((r: any) => r.student_id),
    [w.ann.id],
  );
});

test('two completion events racing issue one certificate; its PDF parses with the name and code; verification', async (t) => {
  const w = await world();
  const { a, b, c, quiz } = await buildCourse(w);
  await w.request(w.cat, 'POST', `/api/v1/lessons/${a.id}/progress`, { event_id: 'a' });
  await submit(w, w.cat, await attemptWith(w, w.cat, quiz, { single: RIGHT.single }));
  await w.request(w.cat, 'POST', `/api/v1/lessons/${c.id}/progress`, { event_id: 'c' });
  const raced = await Promise.all([
    w.request(w.cat, 'POST', `/api/v1/lessons/${b.id}/progress`, { event_id: 'b-phone' }),
    w.request(w.cat, 'POST', `/api/v1/lessons/${b.id}/progress`, { event_id: 'b-laptop' }),
  ]);
  t.deepEqual(
    raced.map((r) => r.status),
    [200, 200],
  );
  const { dbs } = testEnv();
  const rows = await dbs.owner('certificates').where({ tenant_id: w.school.tenant.id, student_id: w.cat.id });
  t.is(rows.length, 1);
  const certId = rows[0].id as string;

  await certificateJob(workerDeps(await testJobs(), {} as Mailer), { tenant_id: w.school.tenant.id, certificate_id: certId });
  const cert = await w.request(w.cat, 'GET', `/api/v1/certificates/${certId}`);
  t.is(cert.status, 200);
  t.truthy(cert.body.pdf_url);
  const pdf = await w.request(w.cat, 'GET', cert.body.pdf_url);
  t.is(pdf.status, 200);
  t.is(pdf.headers['content-type'], 'application/pdf');
  const file = await dbs
    .owner('files')
    .where({ tenant_id: w.school.tenant.id, id: rows[0].file_id ?? cert.body.pdf_url.split('/').pop() })
    .first();
  const bytes = new Uint8Array(await readAll(await fileServices(testEnv().config.files).storage.get(file.storage_key)));
  const { text } = await extractText(await getDocumentProxy(bytes), { mergePages: true });
  t.true(text.includes('Cat Carter'), text);
  t.true(text.includes(cert.body.code), text);
  t.is((await w.request(w.ben, 'GET', `/api/v1/certificates/${certId}`)).status, 404);
  const inbox = await w.request(w.cat, 'GET', '/api/v1/me/notifications');
  t.true(JSON.stringify(inbox.body).includes('certificate'));

  const verify = (code: string) => (app as Promise<any>).then((c) => c.request(w.school.slug, 'GET', `/api/v1/certificates/verify/${code}`));
  t.deepEqual((await verify(cert.body.code)).body, { status: 'genuine', name: 'Cat Carter', course: 'Physics', date: cert.body.issued_at.slice(0, 10) });
  t.deepEqual((await verify('a'.repeat(26))).body, { status: 'unknown' });
  t.deepEqual((await verify('not-a-code')).body, { status: 'unknown' });
  t.is((await w.request(w.cat, 'POST', `/api/v1/certificates/${certId}/revoke`, { reason: 'mine' })).status, 403);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/certificates/${certId}/revoke`, { reason: 'Issued in error' })).status, 200);
  t.like((await verify(cert.body.code)).body, { status: 'revoked', name: 'Cat Carter' });
  const page = await (await app).request(w.school.slug, 'GET', `/verify/${cert.body.code}`);
  t.is(page.status, 200);
  t.true(page.text.includes('Cat Carter'));
});

test('reordering takes the whole list with the version last read', async (t) => {
  const w = await world();
  const { u1, u2 } = await buildCourse(w);
  const outline = await w.request(w.teacher, 'GET', `/api/v1/classes/${w.klass.id}/course`);
  const version = outline.body.version;
  t.is((await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/course/unit-order`, { unit_ids: [u2.id], version })).status, 422);
  const first = await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/course/unit-order`, { unit_ids: [u2.id, u1.id], version });
  t.is(first.status, 200);
  const stale = await w.request(w.teacher, 'PUT', `/api/v1/classes/${w.klass.id}/course/unit-order`, { unit_ids: [u1.id, u2.id], version });
  t.is(stale.status, 409);
  const after = await w.request(w.teacher, 'GET', `/api/v1/classes/${w.klass.id}/course`);
  t.deepEqual(
    after.body.units.map((u: any) => u.title),
    ['Energy', 'Forces'],
  );
  t.is(
    (await w.request(w.ann, 'PUT', `/api/v1/classes/${w.klass.id}/course/unit-order`, { unit_ids: [u1.id, u2.id], version: first.body.version })).status,
    403,
  );
});

// Rows as content: ids replaced by the name of what they point at, so links compare too.
const IGNORE = new Set(['id', 'class_id', 'created_at', 'updated_at', 'created_by', 'publish_at', 'published_at', 'status', 'version', 'search']);
async function snapshot(tenant: string, classId: string) {
  const { dbs } = testEnv();
  const get = (table: string, extra: (q: any) => any = (q) => q) => extra(dbs.owner(table).where({ tenant_id: tenant, class_id: classId })).orderBy(['title']);
  const quizzes = await get('quizzes');
  const questions = await dbs
    .owner('quiz_questions')
    .where({ tenant_id: tenant })
    .whereIn(
      'quiz_id',
      quizzes.map((q: any) => q.id),
    );
  const units = await dbs.owner('course_units').where({ tenant_id: tenant, class_id: classId }).orderBy('position');
  const lessons = await dbs.owner('course_lessons').where({ tenant_id: tenant, class_id: classId }).orderBy(['unit_id', 'position']);
  const name = new Map<string, string>([...quizzes, ...units, ...lessons].map((r: any) => [r.id, r.title]));
  const homework = await get('homework');
  for (const h of homework) name.set(h.id, h.title);
  const courses = await dbs.owner('courses').where({ tenant_id: tenant, class_id: classId });
  for (const c of courses) name.set(c.id, 'the course');
  const topics = await get('resource_topics');
  for (const tp of topics) name.set(tp.id, tp.title);
  const clean = (rows: any[]) =>
    rows.map((r) =>
      Object.fromEntries(
        Object.entries(r)
          .filter(([k]) => !IGNORE.has(k) && !k.endsWith('_released_at'))
          .map(([k, v]) => [
            k,
            k.endsWith('_id') && typeof v === 'string'
              ? (name.get(v) ?? v)
              : // A copied file is a file of its own: same name, type and size, another id.
                k === 'attachments' && Array.isArray(v)
                ? v.map(({ file_id, ...a }: any) => ({ ...a, file: file_id !== undefined }))
                : v,
          ]),
      ),
    );
  return {
    ids: [...quizzes, ...questions, ...units, ...lessons, ...homework, ...topics, ...courses].map((r: any) => r.id as string),
    content: {
      quizzes: clean(quizzes),
      questions: clean(questions.sort((x: any, y: any) => `${name.get(x.quiz_id)}${x.position}`.localeCompare(`${name.get(y.quiz_id)}${y.position}`))),
      units: clean(units),
      lessons: clean(lessons).sort((x: any, y: any) => `${x.unit_id}:${x.position}`.localeCompare(`${y.unit_id}:${y.position}`)),
      homework: clean(homework),
      topics: clean(topics),
      courses: clean(courses),
      resources: clean(await get('resources')),
    },
  };
}

/** A course with every kind of content, and a student's progress (which must not be copied). */
async function fullClass(w: QuizWorld) {
  const built = await buildCourse(w);
  await makeQuiz(w, { title: 'Matter' }, ['single', 'multiple', 'trueFalse', 'short', 'numeric']);
  await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/homework`, {
    title: 'Essay',
    instructions: 'Write',
    due_at: '2030-01-01T09:00:00Z',
    publish_at: 'now',
  });
  const topic = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/topics`, { title: 'Reading' });
  await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/resources`, {
    kind: 'link',
    title: 'Site',
    url: 'https://example.org',
    topic_id: topic.body.id,
  });
  await w.request(w.ann, 'POST', `/api/v1/lessons/${built.b.id}/progress`, { event_id: 'x' });
  return built;
}

test('a copied course equals its source in structure and content and shares no rows with it', async (t) => {
  const w = await world();
  const { b } = await fullClass(w);
  const copied = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/course/copy`, { name: 'Physics (spring)' });
  t.is(copied.status, 201, copied.text);
  const target = copied.body.class_id;
  const { dbs } = testEnv();
  const tenant = w.school.tenant.id;
  const before = await snapshot(tenant, w.klass.id);
  const after = await snapshot(tenant, target);
  t.deepEqual(after.content, before.content);
  t.true(before.content.questions.length >= 6);
  t.deepEqual(
    after.ids.filter((id) => before.ids.includes(id)),
    [],
  );
  // No student data came along.
  t.is((await dbs.owner('enrollments').where({ tenant_id: tenant, class_id: target, role: 'student' })).length, 0);
  t.is((await dbs.owner('lesson_progress').where({ tenant_id: tenant, class_id: target })).length, 0);
  // The copied lesson's file is a file of its own.
  const lesson = (await dbs.owner('course_lessons').where({ tenant_id: tenant, class_id: target, title: 'Friction' }))[0];
  const original = (await dbs.owner('course_lessons').where({ id: b.id }))[0];
  t.not(lesson.attachments[0].file_id, original.attachments[0].file_id);
  t.is((await w.request(w.teacher, 'GET', `/api/v1/files/${lesson.attachments[0].file_id}`)).status, 200);
});

test('a copy run as a background job equals its source, reports its steps, and runs once', async (t) => {
  const w = await world();
  await fullClass(w);
  const queued = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/course/copy`, { name: 'Physics (job)', background: true });
  t.is(queued.status, 202, queued.text);
  t.like(queued.body, { status: 'queued', steps_done: 0, class_id: null });
  t.is(queued.headers.location, `/api/v1/course-copies/${queued.body.id}`);
  // Students are refused by role; another class's teacher does not find it.
  t.is((await w.request(w.ann, 'GET', `/api/v1/course-copies/${queued.body.id}`)).status, 403);
  t.is((await w.request(w.otherTeacher, 'GET', `/api/v1/course-copies/${queued.body.id}`)).status, 404);

  const { dbs } = testEnv();
  const tenant = w.school.tenant.id;
  // Each step is recorded in a transaction of its own while the copy's one transaction is open.
  const seen: number[] = [];
  const deps = workerDeps(await testJobs(), {} as Mailer);
  const job = { tenant_id: tenant, copy_id: queued.body.id as string };
  const listener = (q: { sql: string; bindings?: unknown[] }) => {
    if (/update "course_copies" set "step"/.test(q.sql)) seen.push(Number(q.bindings?.[1]));
  };
  deps.dbs.app.on('query', listener);
  await courseCopyJob(deps, job);
  deps.dbs.app.off('query', listener);
  t.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Delivered again: nothing more happens.
  await courseCopyJob(deps, job);
  const status = await w.request(w.teacher, 'GET', `/api/v1/course-copies/${queued.body.id}`);
  t.like(status.body, { status: 'done', steps_done: 9, steps_total: 9, percent: 100, error: null });
  const target = status.body.class_id as string;
  t.is((await dbs.owner('classes').where({ tenant_id: tenant, name: 'Physics (job)' })).length, 1, 'copied once');
  const before = await snapshot(tenant, w.klass.id);
  const after = await snapshot(tenant, target);
  t.deepEqual(after.content, before.content);
  t.true(before.content.lessons.length >= 3 && before.content.questions.length >= 6);
  t.deepEqual(
    after.ids.filter((id) => before.ids.includes(id)),
    [],
  );
  t.is((await dbs.owner('lesson_progress').where({ tenant_id: tenant, class_id: target })).length, 0);
  // The teacher's page for the copy says done and links the new class.
  const page = await w.request(w.teacher, 'GET', `/course-copies/${queued.body.id}`);
  t.is(page.status, 200);
  t.true(page.text.includes(`/classes/${target}/course`));
});

test('a background copy that cannot run says so and leaves nothing behind', async (t) => {
  const w = await world();
  await buildCourse(w);
  const queued = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/course/copy`, { name: 'Physics (lost)', background: true });
  t.is(queued.status, 202);
  // The teacher stops teaching the class before the job runs: the copy is refused as it would be in a request.
  const { dbs } = testEnv();
  await dbs.owner('enrollments').where({ tenant_id: w.school.tenant.id, class_id: w.klass.id, user_id: w.teacher.id }).delete();
  await courseCopyJob(workerDeps(await testJobs(), {} as Mailer), { tenant_id: w.school.tenant.id, copy_id: queued.body.id });
  const row = await dbs.owner('course_copies').where({ id: queued.body.id }).first();
  t.is(row.status, 'failed');
  t.truthy(row.error);
  t.is((await dbs.owner('classes').where({ tenant_id: w.school.tenant.id, name: 'Physics (lost)' })).length, 0);
});
