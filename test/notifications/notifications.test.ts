// Notifications: the inbox, live events, reminders, digests and the billing clock, against real
// PostgreSQL, the real app and the in-process test worker. Time is moved, never waited for.
import http from 'node:http';
import test from 'ava';
import { JOB_SCHEMA } from '../../api/jobs/jobs.ts';
import { schoolTick } from '../../api/jobs/timed.ts';
import { createMailer } from '../../api/mail/mailer.ts';
import { publishEvents } from '../../api/notifications/events.ts';
import { notificationsTick } from '../../api/notifications/jobs.ts';
import { notify } from '../../api/notifications/service.ts';
import { withTenant } from '../../tenants/session.ts';
import { classroom } from '../helpers/classroom.ts';
import { testEnv } from '../helpers/env.ts';
import { createPerson, createSchool, inSchool, type Person, type School } from '../helpers/factories.ts';
import { homeworkWorld, inTables, START } from '../helpers/homework.ts';
import { type Client, MAIL_DIR, startApp } from '../helpers/http.ts';
import { ensureTestWorker, testJobs, workerDeps } from '../helpers/jobs.ts';
import { waitForMail } from '../helpers/mail.ts';

const SITE = 'https://school.edify.test';

type LiveEvent = { type: string; id: string };

/** Opens GET /me/events; resolves once the stream is live. next() is the next event. */
async function openEvents(app: Client, slug: string, token: string) {
  const events: LiveEvent[] = [];
  const waiting: ((e: LiveEvent) => void)[] = [];
  let buffer = '';
  let live: () => void = () => undefined;
  const connected = new Promise<void>((resolve) => {
    live = resolve;
  });
  const req = http.request({
    host: '127.0.0.1',
    port: app.port,
    path: '/api/v1/me/events',
    headers: { host: `${slug}.${app.deps.config.baseDomain}:${app.port}`, authorization: `Bearer ${token}`, accept: 'text/event-stream' },
  });
  let status = 0;
  req.on('response', (res) => {
    status = res.statusCode ?? 0;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (block.startsWith(': connected')) live();
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data) {
          const event = JSON.parse(data.slice(6)) as LiveEvent;
          const next = waiting.shift();
          if (next) next(event);
          else events.push(event);
        }
        end = buffer.indexOf('\n\n');
      }
    });
  });
  req.end();
  await connected;
  return {
    status: () => status,
    next: () => {
      const ready = events.shift();
      return ready ? Promise.resolve(ready) : new Promise<LiveEvent>((resolve) => waiting.push(resolve));
    },
    close: () => req.destroy(),
  };
}

async function sentinel(school: School, person: Person): Promise<void> {
  const { dbs } = testEnv();
  await withTenant(dbs.app, { id: school.tenant.id }, (db, tenant) => publishEvents({ db, tenant }, [{ user_id: person.id, type: 'ping', id: 'sentinel' }]));
}

test('a notice reaches the enrolled student live, in the inbox and by email (title escaped); another class or school hears nothing', async (t) => {
  const app = await startApp();
  const w = await classroom(app);
  const elsewhere = await classroom(app);
  const [mine, otherClass, otherSchool] = await Promise.all([
    openEvents(app, w.school.slug, w.student.token),
    openEvents(app, w.school.slug, w.otherStudent.token),
    openEvents(app, elsewhere.school.slug, elsewhere.student.token),
  ]);
  t.teardown(() => {
    for (const s of [mine, otherClass, otherSchool]) s.close();
  });
  t.is(mine.status(), 200);

  const title = '<script>alert("x")</script> Trip';
  const created = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/notices`, {
    title,
    body: 'Bring lunch',
    important: true,
    publish_at: 'now',
  });
  t.is(created.status, 201, created.text);

  const event = await mine.next();
  t.is(event.type, 'notification');
  const inbox = await w.get(w.student, '/api/v1/me/notifications');
  t.is(inbox.status, 200);
  t.is(inbox.body.unread_count, 1);
  t.is(inbox.body.data[0].id, event.id);
  t.is(inbox.body.data[0].title, title);
  t.is(inbox.body.data[0].kind, 'notice_important');

  // Important notices are emailed at once; the title cannot inject markup.
  const mail = (await waitForMail(MAIL_DIR, w.student.email)).find((m) => m.template === 'notification');
  t.truthy(mail);
  t.false(mail?.html.includes('<script>'));
  t.true(mail?.html.includes('&lt;script&gt;'));
  t.true(mail?.text.includes('Choose which emails you get'), 'a preferences link on non-essential mail');
  t.regex(mail?.text ?? '', /https?:\/\/[^\s]+\/settings\/notifications\b/, 'to the email settings page (test/web/notification-settings.test.ts)');

  // Events after the notice reach the others: if they were to hear the notice, it would come first.
  await sentinel(w.school, w.otherStudent);
  await sentinel(elsewhere.school, elsewhere.student);
  t.deepEqual(await otherClass.next(), { type: 'ping', id: 'sentinel' });
  t.deepEqual(await otherSchool.next(), { type: 'ping', id: 'sentinel' });
  t.is((await w.get(w.otherStudent, '/api/v1/me/notifications')).body.unread_count, 0);

  // Mark read, one and all.
  const read = await w.request(w.student, 'POST', `/api/v1/me/notifications/${event.id}/read`);
  t.is(read.status, 200);
  t.truthy(read.body.read_at);
  t.is((await w.request(w.otherStudent, 'POST', `/api/v1/me/notifications/${event.id}/read`)).status, 404, 'not someone else’s');
  t.is((await w.get(w.student, '/api/v1/me/notifications?unread=true')).body.data.length, 0);
  t.is((await w.request(w.student, 'POST', '/api/v1/me/notifications/read-all')).body.marked, 0);
  t.is((await app.request(w.school.slug, 'GET', '/api/v1/me/events')).status, 401, 'no anonymous streams');
});

test('homework published for now, work returned and a quiz opened reach the student at once, not at the next tick', async (t) => {
  const app = await startApp();
  const w = await classroom(app);
  const live = await openEvents(app, w.school.slug, w.student.token);
  t.teardown(() => live.close());
  const newest = async () => (await w.get(w.student, '/api/v1/me/notifications')).body.data[0];

  const due = new Date(Date.now() + 7 * 86_400_000).toISOString();
  const homework = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/homework`, { title: 'Fractions', due_at: due, publish_at: 'now' });
  t.is(homework.status, 201, homework.text);
  const assigned = await live.next();
  t.like(await newest(), { id: assigned.id, kind: 'homework_assigned', title: 'Fractions' });

  const graded = await w.request(w.teacher, 'PUT', `/api/v1/homework/${homework.body.id}/submissions/${w.student.id}/grade`, {
    feedback: 'See me',
    return: true,
  });
  t.is(graded.status, 200, graded.text);
  const returned = await live.next();
  t.like(await newest(), { id: returned.id, kind: 'submission_returned', title: 'Returned: Fractions' });

  const quiz = await w.request(w.teacher, 'POST', `/api/v1/classes/${w.mine.id}/quizzes`, { title: 'Times tables' });
  t.is(quiz.status, 201, quiz.text);
  const question = await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.body.id}/questions`, {
    type: 'single_choice',
    prompt: '7 × 8?',
    points: 1,
    options: [
      { id: 'a', text: '56', correct: true },
      { id: 'b', text: '54', correct: false },
    ],
  });
  t.is(question.status, 201, question.text);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/quizzes/${quiz.body.id}/publish`)).status, 200);
  const opened = await live.next();
  t.like(await newest(), { id: opened.id, kind: 'quiz_opening', title: 'Quiz open: Times tables' });
  t.is((await w.get(w.otherStudent, '/api/v1/me/notifications')).body.unread_count, 0, 'another class hears nothing');
});

test('preferences per kind: defaults, changes, and 422 for an unknown kind or mode', async (t) => {
  const app = await startApp();
  const w = await classroom(app);
  const before = await w.get(w.student, '/api/v1/me/notification-preferences');
  t.is(before.body.notice, 'daily');
  t.is(before.body.notice_important, 'immediately');
  const changed = await w.request(w.student, 'PUT', '/api/v1/me/notification-preferences', { notice_important: 'off', homework_due: 'daily' });
  t.is(changed.status, 200);
  t.like(changed.body, { notice_important: 'off', homework_due: 'daily', notice: 'daily' });
  t.is((await w.request(w.student, 'PUT', '/api/v1/me/notification-preferences', { notice: 'weekly' })).status, 422);
  t.is((await w.request(w.student, 'PUT', '/api/v1/me/notification-preferences', { spam: 'off' })).status, 422);
  t.is((await w.get(w.otherStudent, '/api/v1/me/notification-preferences')).body.notice_important, 'immediately', 'per person');
});

test('the 24-hour reminder goes to a student who has not handed in, once, and skips one who has', async (t) => {
  const w = await homeworkWorld();
  const hw = await w.setHomework({ due_at: '2026-11-03T08:00:00Z' });
  const turnedIn = await w.request(w.sam, 'PUT', `/api/v1/homework/${hw.id}/submission`, { body: 'My answers' });
  t.is(turnedIn.status, 200, turnedIn.text);
  const run = (at: string) => inSchool(w.school, (scope) => notificationsTick({ ...scope, clock: () => new Date(at) }, SITE));

  t.is((await run('2026-11-02T07:59:00Z')).homework_due, undefined, 'more than 24 hours before: nothing yet');
  const counts = await run(START);
  t.is(counts.homework_due, 1);
  const reminders = await inTables(w.school, (db) => db('notifications').where({ kind: 'homework_due' }).select('user_id'));
  t.deepEqual(
    reminders.map((r: { user_id: string }) => r.user_id),
    [w.ada.id],
  );
  t.is((await run('2026-11-02T10:00:00Z')).homework_due, undefined, 'one reminder per homework per student');
  t.is(counts.homework_assigned, 2, 'both students were told about the new homework');
});

test('daily digests go out at 7:00 in each school’s own time zone', async (t) => {
  const { dbs } = testEnv();
  const [tokyo, newYork] = await Promise.all([createSchool(), createSchool()]);
  await dbs.owner('tenants').where({ id: tokyo.tenant.id }).update({ timezone: 'Asia/Tokyo' });
  await dbs.owner('tenants').where({ id: newYork.tenant.id }).update({ timezone: 'America/New_York' });
  const [aki, nia] = await Promise.all([createPerson(tokyo, 'student'), createPerson(newYork, 'student')]);
  for (const [school, person] of [
    [tokyo, aki],
    [newYork, nia],
  ] as const) {
    await inSchool(school, (scope) => notify(scope, SITE, [person.id], { kind: 'notice', title: 'Sports day', dedupe: 'notice:sports' }));
  }
  const tick = (school: School, at: string) => inSchool(school, (scope) => notificationsTick({ ...scope, clock: () => new Date(at) }, SITE));
  const waiting = (school: School) => inTables(school, (db) => db('notifications').where({ email: 'digest' }).count<{ n: string }[]>('* as n'));

  // 22:10 UTC is 07:10 in Tokyo and 17:10 in New York.
  t.is((await tick(tokyo, '2026-11-26T22:10:00Z')).digest, 1);
  t.is((await tick(newYork, '2026-11-26T22:10:00Z')).digest, undefined);
  t.is(Number((await waiting(tokyo))[0]?.n), 0);
  t.is(Number((await waiting(newYork))[0]?.n), 1);
  // 12:10 UTC the next day is 07:10 in New York.
  t.is((await tick(newYork, '2026-11-27T12:10:00Z')).digest, 1);
  t.is((await tick(tokyo, '2026-11-27T12:10:00Z')).digest, undefined, 'nothing left for Tokyo');

  const jobs = await testJobs();
  const { rows } = await jobs.boss
    .getDb()
    .executeSql(`select count(*)::int as n from ${JOB_SCHEMA}.job where name = $1 and data->>'tenant_id' = any($2::text[])`, [
      jobs.name('email'),
      [tokyo.tenant.id, newYork.tenant.id],
    ]);
  t.is(rows[0].n, 2, 'one digest email per person');
});

test('a school whose grace period ends becomes read-only with no request arriving', async (t) => {
  const { dbs } = testEnv();
  const school = await createSchool();
  const now = new Date('2026-11-26T12:00:00Z');
  await dbs
    .owner('tenants')
    .where({ id: school.tenant.id })
    .update({ billing_status: 'past_due', past_due_since: new Date(now.getTime() - 15 * 86_400_000), access_level: 'full' });
  const jobs = await testJobs();
  const mailer = createMailer({ from: 'Edify <no-reply@edify.test>', mailDir: MAIL_DIR });
  await ensureTestWorker(mailer);
  const deps = workerDeps(jobs, mailer, { clock: () => now });

  const report = await schoolTick(deps, { tenant_id: school.tenant.id });
  t.is(report?.access, 'read_only');
  const tenant = await dbs.owner('tenants').where({ id: school.tenant.id }).first('access_level');
  t.is(tenant.access_level, 'read_only');
  const audited = await inTables(school, (db) => db('audit_events').where({ action: 'billing.access_changed' }).first('details'));
  t.like(audited?.details, { from: 'full', to: 'read_only' });
  const mail = (await waitForMail(MAIL_DIR, school.admin.email)).find((m) => m.template === 'billing-notice');
  t.true(mail?.text.includes('read-only'));
  t.is((await schoolTick(deps, { tenant_id: school.tenant.id }))?.access, undefined, 'recorded once');

  // A suspended school's jobs are dropped, not retried.
  await dbs.owner('tenants').where({ id: school.tenant.id }).update({ status: 'suspended' });
  t.is(await schoolTick(deps, { tenant_id: school.tenant.id }), undefined);
});
