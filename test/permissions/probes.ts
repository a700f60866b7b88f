// One probe per row of docs/permissions.md: tries every action the row names as the role, on a
// record in that role's reach (test/permissions/world.ts), and hands back one check per action.
// The matrix test judges the checks against the cell: allowed means every action answered 2xx
// (and showed what the row is about); refused means every action answered exactly 403 or 404,
// or, for rows about seeing part of a record (`shown`), answered without showing it.
// A probe that changes something makes its own fresh target, so probes run in any order.
// A row without a probe fails the matrix test.
import { createClassIn } from '../helpers/factories.ts';
import { PDF, upload } from '../helpers/files.ts';
import type { Response } from '../helpers/http.ts';
import type { MatrixRole, MatrixWorld } from './world.ts';

/** One action's answer; `shown` only for rows about seeing something (a field, a list's content);
 * `form` for a page's form, whose success is its 303 (POST → GET) rather than a 2xx. */
export type Check = { action: string; res: Response; shown?: boolean; form?: boolean };
type Probe = (w: MatrixWorld, role: MatrixRole) => Promise<Check[]>;

const ok = (r: Response) => r.status >= 200 && r.status < 300;
const as = (w: MatrixWorld, role: MatrixRole) => w.people[role];
const check = async (action: string, res: Promise<Response>): Promise<Check> => ({ action, res: await res });
const see = async (action: string, res: Promise<Response>, shows: (body: any) => boolean): Promise<Check> => {
  const r = await res;
  return { action, res: r, shown: ok(r) && shows(r.body) };
};
/** Runs the actions one after another (a later one may act on what an earlier one made). */
async function inTurn(...actions: (() => Promise<Check>)[]): Promise<Check[]> {
  const checks: Check[] = [];
  for (const act of actions) checks.push(await act());
  return checks;
}
const allowedTo = (role: MatrixRole, ...roles: MatrixRole[]) => roles.includes(role);
/** Posts a page's form (urlencoded) with the role's token, as a browser's form would be sent. */
const pageForm = async (w: MatrixWorld, role: MatrixRole, action: string, path: string, fields: Record<string, string> = {}): Promise<Check> => ({
  action,
  form: true,
  res: await w.app.request(w.school.slug, 'POST', path, {
    token: as(w, role).token,
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  }),
});

export const PROBES: Record<string, Probe> = {
  'Users · list / read': async (w, role) => {
    const target = { admin: w.teacher.id, teacher: w.student.id, student: w.student.id, guardian: w.student.id }[role];
    return inTurn(
      () => see('list', w.call(as(w, role), 'GET', '/api/v1/users'), (b) => b.data.length > 0),
      () => check('read', w.call(as(w, role), 'GET', `/api/v1/users/${target}`)),
    );
  },
  'Users · create, change name/role/status, sign out everywhere, unlock, reset 2FA': async (w, role) => {
    const who = as(w, role);
    const target = await w.freshWithTwoFactor('teacher');
    return inTurn(
      () =>
        check(
          'create',
          w.call(who, 'POST', '/api/v1/users', { email: `made-${w.unique()}@example.test`, first_name: 'Made', last_name: 'Here', role: 'student' }),
        ),
      () => check('change name', w.call(who, 'PATCH', `/api/v1/users/${target.id}`, { first_name: 'Pat' })),
      () => check('sign out everywhere', w.call(who, 'POST', `/api/v1/users/${target.id}/sign-out`)),
      () => check('unlock', w.call(who, 'POST', `/api/v1/users/${target.id}/unlock`)),
      () => check('reset 2FA', w.call(who, 'DELETE', `/api/v1/users/${target.id}/two-factor`)),
      () => check('change role', w.call(who, 'PATCH', `/api/v1/users/${target.id}`, { role: 'admin' })),
      () => check('change status', w.call(who, 'PATCH', `/api/v1/users/${target.id}`, { status: 'deactivated' })),
    );
  },
  'Users · invite': async (w, role) => [
    await check(
      'invite',
      w.call(as(w, role), 'POST', '/api/v1/users/invitations', {
        email: `new-${w.unique()}@example.test`,
        first_name: 'New',
        last_name: 'Pupil',
        role: 'student',
        class_ids: [w.klass.id],
      }),
    ),
  ],
  'Users · import roster (CSV)': async (w, role) => [
    await check(
      'import',
      w.call(as(w, role), 'POST', '/api/v1/users/import', {
        csv: `email,first_name,last_name,role\nn-${w.unique()}@example.test,N,N,student\n`,
        dry_run: true,
      }),
    ),
  ],
  'School settings · read': async (w, role) => [await check('read', w.call(as(w, role), 'GET', '/api/v1/school'))],
  'School settings · update': async (w, role) => [await check('update', w.call(as(w, role), 'PATCH', '/api/v1/school', { color: '#2457c5' }))],
  'Own sessions, 2FA, password': async (w, role) => {
    const me = await w.freshPerson(role);
    return inTurn(
      () => see('sessions', w.call(me, 'GET', '/api/v1/me/sessions'), (b) => b.data.length > 0),
      () => check('2FA', w.call(me, 'POST', '/api/v1/me/two-factor')),
      () => check('password', w.call(me, 'POST', '/api/v1/auth/password-reset', { email: me.email })),
    );
  },
  'Classes · create': async (w, role) => [await check('create', w.call(as(w, role), 'POST', '/api/v1/classes', { name: `Class ${w.unique()}` }))],
  'Classes · read': async (w, role) => [await check('read', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}`))],
  'Classes · update, archive, rotate join code, manage roster': async (w, role) => {
    const who = as(w, role);
    const klass = await w.freshClass();
    const newcomer = await w.freshPerson('student');
    return inTurn(
      () => check('update', w.call(who, 'PATCH', `/api/v1/classes/${klass.id}`, { description: 'Numbers' })),
      () => check('rotate join code', w.call(who, 'POST', `/api/v1/classes/${klass.id}/join-code`)),
      () => check('add to roster', w.call(who, 'POST', `/api/v1/classes/${klass.id}/members`, { user_id: newcomer.id, role: 'student' })),
      () => check('remove from roster', w.call(who, 'DELETE', `/api/v1/classes/${klass.id}/members/${w.student.id}`)),
      () => check('archive', w.call(who, 'PATCH', `/api/v1/classes/${klass.id}`, { archived: true })),
    );
  },
  'Classes · see teachers and classmates by name (`GET /classes/:id/people`)': async (w, role) => [
    await see('people', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/people`), (b) => b.data.length > 0),
  ],
  'Classes · see the join code': async (w, role) => [
    await see('join code', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}`), (b) => typeof b.join_code === 'string'),
  ],
  'Classes · join by code': async (w, role) => [await check('join', w.call(as(w, role), 'POST', '/api/v1/classes/join', { code: await w.freshJoinCode() }))],
  'Audit log · read (`GET /audit-events`)': async (w, role) => [await check('read', w.call(as(w, role), 'GET', '/api/v1/audit-events'))],
  'SSO connections · manage, read attempts': async (w, role) => {
    const who = as(w, role);
    const mine = allowedTo(role, 'admin')
      ? ((await w.must(w.asAdmin('POST', '/api/v1/sso/connections', { metadata_xml: w.ssoMetadata(), name: 'Spare' }), 'spare connection')) as { id: string })
      : w.ssoConnection;
    return inTurn(
      () => check('list', w.call(who, 'GET', '/api/v1/sso/connections')),
      () => check('create', w.call(who, 'POST', '/api/v1/sso/connections', { metadata_xml: w.ssoMetadata(), name: 'Another' })),
      () => check('update', w.call(who, 'PATCH', `/api/v1/sso/connections/${mine.id}`, { name: 'Renamed' })),
      () => check('read attempts', w.call(who, 'GET', `/api/v1/sso/connections/${w.ssoConnection.id}/attempts`)),
      () => check('delete', w.call(who, 'DELETE', `/api/v1/sso/connections/${mine.id}`)),
    );
  },
  'Billing · read, checkout, portal': async (w, role) =>
    inTurn(
      () => check('read', w.call(as(w, role), 'GET', '/api/v1/billing')),
      () => check('checkout', w.call(as(w, role), 'POST', '/api/v1/billing/checkout', { plan: 'district' })),
      () => check('portal', w.call(as(w, role), 'POST', '/api/v1/billing/portal')),
    ),
  'Guardians · link to a student (existing guardian, or invite by email)': async (w, role) => {
    // A new family: nothing the other probes read changes.
    const student = await w.freshPerson('student');
    const parent = await w.freshPerson('guardian');
    return inTurn(
      () => check('link existing', w.call(as(w, role), 'POST', `/api/v1/users/${student.id}/guardians`, { guardian_id: parent.id })),
      () =>
        check(
          'invite by email',
          w.call(as(w, role), 'POST', `/api/v1/users/${student.id}/guardians`, { email: `g-${w.unique()}@example.test`, first_name: 'G', last_name: 'G' }),
        ),
    );
  },
  'Guardians · list a student’s guardians': async (w, role) => [
    await see('list', w.call(as(w, role), 'GET', `/api/v1/users/${w.student.id}/guardians`), (b) => b.data.length > 0),
  ],
  'Guardians · unlink': async (w, role) => {
    const email = `g-${w.unique()}@example.test`;
    const extra = await w.must(w.asAdmin('POST', `/api/v1/users/${w.student.id}/guardians`, { email, first_name: 'G', last_name: 'G' }), 'second guardian');
    const other = (extra.data as { id: string; email: string }[]).find((g) => g.email === email);
    return [await check('unlink', w.call(as(w, role), 'DELETE', `/api/v1/users/${w.student.id}/guardians/${other?.id}`))];
  },
  'Guardians · own linked students and their classes (`GET /me/students`)': async (w, role) => [
    await see('own students', w.call(as(w, role), 'GET', '/api/v1/me/students'), (b) => b.data.length > 0),
  ],
  'Gradebook · read': async (w, role) => [await see('read', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/gradebook`), (b) => b.rows.length > 0)],
  'Gradebook · export CSV, set category weights': async (w, role) =>
    inTurn(
      () => check('export CSV', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/gradebook/csv`)),
      () => check('set weights', w.call(as(w, role), 'PUT', `/api/v1/classes/${w.klass.id}/gradebook/weights`, { weights: null })),
    ),
  'Notifications · own inbox and preferences: list, mark all read, read and save preferences (`GET /me/notifications`, `POST /me/notifications/read-all`, `GET /me/notification-preferences`; pages `/me/notifications`, `/settings/notifications`)':
    async (w, role) =>
      inTurn(
        () => see('inbox', w.call(as(w, role), 'GET', '/api/v1/me/notifications'), (b) => Array.isArray(b.data) && typeof b.unread_count === 'number'),
        () => check('mark all read', w.call(as(w, role), 'POST', '/api/v1/me/notifications/read-all')),
        () => check('preferences', w.call(as(w, role), 'GET', '/api/v1/me/notification-preferences')),
        () => pageForm(w, role, 'email settings form', '/settings/notifications', { notice: 'off' }),
      ),
  Search: async (w, role) => [
    await see('search', w.call(as(w, role), 'GET', '/api/v1/search?q=fractions'), (b) => b.data.some((h: { id: string }) => h.id === w.homework.id)),
  ],
  'Resources and topics · read': async (w, role) =>
    inTurn(
      () => check('read', w.call(as(w, role), 'GET', `/api/v1/resources/${w.resource.id}`)),
      () => see('list', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/resources`), (b) => b.data.length > 0),
      () => check('topics', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/topics`)),
    ),
  'Resources and topics · create, update, move, reorder, delete': async (w, role) => {
    const who = allowedTo(role, 'admin', 'teacher') ? as(w, role) : w.teacher;
    const topic = (await w.must(w.call(who, 'POST', `/api/v1/classes/${w.klass.id}/topics`, { title: `Unit ${w.unique()}` }), 'topic')) as { id: string };
    const target = (await w.must(
      w.call(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/resources`, { kind: 'link', title: 'Target', url: 'https://example.org/t', topic_id: topic.id }),
      'resource',
    )) as { id: string };
    const me = as(w, role);
    let made: { id: string } | undefined;
    return inTurn(
      async () => {
        const res = await w.call(me, 'POST', `/api/v1/classes/${w.klass.id}/resources`, { kind: 'link', title: 'More', url: 'https://example.org/m' });
        made = ok(res) ? res.body : undefined;
        return { action: 'create', res };
      },
      () => check('create topic', w.call(me, 'POST', `/api/v1/classes/${w.klass.id}/topics`, { title: `Unit ${w.unique()}` })),
      () => check('update', w.call(me, 'PATCH', `/api/v1/resources/${target.id}`, { title: 'Renamed' })),
      () => check('move', w.call(me, 'PATCH', `/api/v1/resources/${made?.id ?? target.id}`, { topic_id: topic.id })),
      () =>
        check(
          'reorder',
          w.call(me, 'PUT', `/api/v1/classes/${w.klass.id}/resource-order`, { topic_id: topic.id, resource_ids: made ? [made.id, target.id] : [target.id] }),
        ),
      () => check('delete', w.call(me, 'DELETE', `/api/v1/resources/${target.id}`)),
      () => check('delete topic', w.call(me, 'DELETE', `/api/v1/resource-topics/${topic.id}`)),
    );
  },
  'Notices · read (lists and single)': async (w, role) =>
    inTurn(
      () => check('single', w.call(as(w, role), 'GET', `/api/v1/notices/${w.notice.id}`)),
      () =>
        see('class list', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/notices`), (b) => b.data.some((n: { id: string }) => n.id === w.notice.id)),
      () => see('all', w.call(as(w, role), 'GET', '/api/v1/notices'), (b) => b.data.some((n: { id: string }) => n.id === w.notice.id)),
    ),
  'Notices · class notice create, update, publish, delete': async (w, role) => {
    const target = await w.must(w.call(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/notices`, { title: 'Draft', body: 'Text' }), 'draft notice');
    const me = as(w, role);
    return inTurn(
      () => check('create', w.call(me, 'POST', `/api/v1/classes/${w.klass.id}/notices`, { title: 'Note', body: 'Text' })),
      () => check('update', w.call(me, 'PATCH', `/api/v1/notices/${target.id}`, { title: 'Changed' })),
      () => check('publish', w.call(me, 'PATCH', `/api/v1/notices/${target.id}`, { publish_at: 'now' })),
      () => check('delete', w.call(me, 'DELETE', `/api/v1/notices/${target.id}`)),
    );
  },
  'Notices · school-wide notice create, update, delete': async (w, role) => {
    const target = await w.must(w.asAdmin('POST', '/api/v1/notices', { title: 'All', body: 'Text' }), 'school-wide draft');
    const me = as(w, role);
    return inTurn(
      () => check('create', w.call(me, 'POST', '/api/v1/notices', { title: 'All', body: 'Text' })),
      () => check('update', w.call(me, 'PATCH', `/api/v1/notices/${target.id}`, { title: 'Changed' })),
      () => check('delete', w.call(me, 'DELETE', `/api/v1/notices/${target.id}`)),
    );
  },
  'Notices · mark read (own receipt)': async (w, role) => [await check('mark read', w.call(as(w, role), 'POST', `/api/v1/notices/${w.notice.id}/read`))],
  'Notices · read receipts (who has and has not read)': async (w, role) => [
    await check('receipts', w.call(as(w, role), 'GET', `/api/v1/notices/${w.notice.id}/receipts`)),
  ],
  'Homework · create, update, publish/schedule/unpublish, delete': async (w, role) => {
    const target = await w.freshHomework({ publish: false });
    const me = as(w, role);
    const later = new Date(Date.now() + 86_400_000).toISOString();
    return inTurn(
      () => check('create', w.call(me, 'POST', `/api/v1/classes/${w.klass.id}/homework`, { title: 'More', due_at: w.dueAt })),
      () => check('update', w.call(me, 'PATCH', `/api/v1/homework/${target.id}`, { title: 'Changed' })),
      () => check('schedule', w.call(me, 'PATCH', `/api/v1/homework/${target.id}`, { publish_at: later })),
      () => check('publish', w.call(me, 'PATCH', `/api/v1/homework/${target.id}`, { publish_at: 'now' })),
      () => check('unpublish', w.call(me, 'PATCH', `/api/v1/homework/${target.id}`, { publish_at: null })),
      () => check('delete', w.call(me, 'DELETE', `/api/v1/homework/${target.id}`)),
    );
  },
  'Homework · read, list': async (w, role) =>
    inTurn(
      () => check('read', w.call(as(w, role), 'GET', `/api/v1/homework/${w.homework.id}`)),
      () =>
        see('list', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/homework`), (b) => b.data.some((h: { id: string }) => h.id === w.homework.id)),
    ),
  'Submissions · turn in, turn in again': async (w, role) => {
    const target = await w.freshHomework();
    return inTurn(
      () => check('turn in', w.call(as(w, role), 'PUT', `/api/v1/homework/${target.id}/submission`, { body: 'First' })),
      () => check('turn in again', w.call(as(w, role), 'PUT', `/api/v1/homework/${target.id}/submission`, { body: 'Again' })),
    );
  },
  'Submissions · read (roster with assigned/missing rows, one student’s work and history)': async (w, role) =>
    inTurn(
      () =>
        see('one student’s work and history', w.call(as(w, role), 'GET', `/api/v1/homework/${w.homework.id}/submissions/${w.student.id}`), (b) =>
          Array.isArray(b.history),
        ),
      () =>
        see(
          'roster',
          w.call(as(w, role), 'GET', `/api/v1/homework/${w.homework.id}/submissions`),
          (b) => b.data.length > 0 && b.data.every((r: { student: { id: string } }) => r.student.id === w.student.id || role === 'admin' || role === 'teacher'),
        ),
    ),
  'Submissions · see draft grades (score and feedback before return)': async (w, role) => {
    const target = await w.freshHomework({ submitted: true });
    await w.must(w.call(w.teacher, 'PUT', `/api/v1/homework/${target.id}/submissions/${w.student.id}/grade`, { score: 6, return: false }), 'draft grade');
    return [await see('draft grade', w.call(as(w, role), 'GET', `/api/v1/homework/${target.id}/submissions/${w.student.id}`), (b) => b.score === 6)];
  },
  'Submissions · grade, return, regrade, bulk grade': async (w, role) => {
    const target = await w.freshHomework({ submitted: true });
    const grade = (body: unknown) => w.call(as(w, role), 'PUT', `/api/v1/homework/${target.id}/submissions/${w.student.id}/grade`, body);
    return inTurn(
      () => check('grade', grade({ score: 7 })),
      () => check('return', grade({ return: true })),
      () => check('regrade', grade({ score: 8, return: true })),
      () => check('bulk grade', w.call(as(w, role), 'POST', `/api/v1/homework/${target.id}/grades`, { grades: [{ student_id: w.student.id, score: 9 }] })),
    );
  },
  'Quizzes · create, change settings, add/edit/move questions, publish, delete, regrade': async (w, role) => {
    const me = as(w, role);
    const mine = allowedTo(role, 'admin', 'teacher');
    let quiz: { id: string; trueFalse?: string; essay?: string } | undefined = mine ? undefined : await w.freshQuiz({ publish: false });
    const spare = await w.freshQuiz({ publish: false });
    return inTurn(
      async () => {
        const res = await w.call(me, 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, { title: `Quiz ${w.unique()}` });
        if (mine && ok(res)) quiz = { id: res.body.id };
        return { action: 'create', res };
      },
      () => check('change settings', w.call(me, 'PATCH', `/api/v1/quizzes/${quiz?.id}`, { time_limit_minutes: 20 })),
      async () => {
        const res = await w.call(me, 'POST', `/api/v1/quizzes/${quiz?.id}/questions`, { type: 'true_false', prompt: 'Ice sinks.', points: 1, correct: false });
        if (mine && quiz && ok(res)) quiz.trueFalse = res.body.id;
        return { action: 'add question', res };
      },
      () => check('edit question', w.call(me, 'PATCH', `/api/v1/quizzes/${quiz?.id}/questions/${quiz?.trueFalse}`, { prompt: 'Ice sinks in water.' })),
      () => check('move question', w.call(me, 'PATCH', `/api/v1/quizzes/${quiz?.id}/questions/${quiz?.trueFalse}`, { position: 1 })),
      () => check('publish', w.call(me, 'POST', `/api/v1/quizzes/${quiz?.id}/publish`)),
      () => check('regrade', w.call(me, 'POST', `/api/v1/quizzes/${quiz?.id}/questions/${quiz?.trueFalse}/regrade`, { correct: true })),
      () => check('delete', w.call(me, 'DELETE', `/api/v1/quizzes/${spare.id}`)),
    );
  },
  'Quizzes · read settings, list': async (w, role) =>
    inTurn(
      () => check('read', w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}`)),
      () => see('list', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/quizzes`), (b) => b.data.some((q: { id: string }) => q.id === w.quiz.id)),
    ),
  'Quizzes · questions with the answer key (`GET /quizzes/:id/questions`)': async (w, role) => [
    await check('questions', w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/questions`)),
  ],
  'Quiz attempts · start, autosave, submit': async (w, role) => {
    const quiz = await w.freshQuiz();
    const me = as(w, role);
    // Others act on the student's own attempt.
    const theirs =
      role === 'student' ? undefined : ((await w.must(w.call(w.student, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`), 'attempt')) as { id: string });
    let attempt = theirs;
    return inTurn(
      async () => {
        const res = await w.call(me, 'POST', `/api/v1/quizzes/${quiz.id}/attempts`);
        if (!theirs && ok(res)) attempt = res.body;
        return { action: 'start', res };
      },
      () => check('autosave', w.call(me, 'PUT', `/api/v1/quiz-attempts/${attempt?.id}/answers/${quiz.trueFalse}`, { response: { value: true } })),
      () => check('submit', w.call(me, 'POST', `/api/v1/quiz-attempts/${attempt?.id}/submit`)),
    );
  },
  'Quiz attempts · read one (questions in the student’s order, saved answers)': async (w, role) => [
    await check('read', w.call(as(w, role), 'GET', `/api/v1/quiz-attempts/${w.quizAttempt.id}`)),
  ],
  'Quiz results · a student’s standing (`my-results`), attempts list': async (w, role) =>
    inTurn(
      () => check('my-results', w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/my-results?student_id=${w.student.id}`)),
      () =>
        see('attempts list', w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/attempts?student_id=${w.student.id}`), (b) =>
          b.data.some((a: { id: string }) => a.id === w.quizAttempt.id),
        ),
    ),
  'Quiz results · per-student results, per-question statistics': async (w, role) =>
    inTurn(
      () => check('results', w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/results`)),
      () => check('statistics', w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/statistics`)),
    ),
  'Quiz attempts · grade hand-graded questions': async (w, role) => [
    await check('grade', w.call(as(w, role), 'PUT', `/api/v1/quiz-attempts/${w.quizAttempt.id}/grades/${w.quizQuestion.id}`, { score: 3 })),
  ],
  'Quizzes · leaderboard': async (w, role) => [await check('leaderboard', w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/leaderboard`))],
  'Files · upload (`POST /files`)': async (w, role) => [
    await check('upload', upload(w.app, w.school.slug, as(w, role).token, { name: 'a.pdf', content: PDF })),
  ],
  'Files · download a file attached to class work (`GET /files/:id`, `GET /files/:id/url`)': async (w, role) => {
    const file = await w.must(upload(w.app, w.school.slug, w.teacher.token, { name: 'sheet.pdf', content: PDF }), 'upload');
    await w.must(
      w.call(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/resources`, { kind: 'file', title: 'Sheet', attachment: { file_id: file.id } }),
      'resource',
    );
    return inTurn(
      () => check('download', w.call(as(w, role), 'GET', `/api/v1/files/${file.id}`)),
      () => check('signed address', w.call(as(w, role), 'GET', `/api/v1/files/${file.id}/url`)),
    );
  },
  'Files · list own files, delete own unattached files': async (w, role) => {
    const uploader = role === 'guardian' ? w.student : as(w, role);
    const file = await w.must(upload(w.app, w.school.slug, uploader.token, { name: 'mine.pdf', content: PDF }), 'upload');
    return inTurn(
      () => check('list', w.call(as(w, role), 'GET', '/api/v1/files')),
      () => check('delete', w.call(as(w, role), 'DELETE', `/api/v1/files/${file.id}`)),
    );
  },
  'Files · storage usage (`GET /school/storage`, also `edify tenant:show`)': async (w, role) => [
    await check('storage', w.call(as(w, role), 'GET', '/api/v1/school/storage')),
  ],
  'Catalogue · list and read listed offerings (`GET /catalogue`, `GET /classes/:id/offering`; pages `/catalogue`, `/catalogue/:id`)': async (w, role) => {
    // Listed, in a class none of the roles is in (the teacher teaches it: they also reach it by that).
    const klass = await offeringIn(w, { self_enrol: true }, { student: false });
    return inTurn(
      () => see('list', w.call(as(w, role), 'GET', '/api/v1/catalogue?limit=100'), (b) => b.data.some((o: { class_id: string }) => o.class_id === klass.id)),
      () => check('read', w.call(as(w, role), 'GET', `/api/v1/classes/${klass.id}/offering`)),
      () => check('catalogue page', w.call(as(w, role), 'GET', '/catalogue')),
      () => check('offering page', w.call(as(w, role), 'GET', `/catalogue/${klass.id}`)),
    );
  },
  'Catalogue · read an unlisted offering (`GET /classes/:id/offering`, page `/catalogue/:id`)': async (w, role) => {
    const klass = await offeringIn(w, { self_enrol: false }, { student: true });
    return inTurn(
      () => check('read', w.call(as(w, role), 'GET', `/api/v1/classes/${klass.id}/offering`)),
      () => check('offering page', w.call(as(w, role), 'GET', `/catalogue/${klass.id}`)),
    );
  },
  'Catalogue · set a class’s offering: listed, dates, cap, price (`PUT /classes/:id/offering`; page `/classes/:id/offering`)': async (w, role) => {
    const klass = await w.freshClass();
    return inTurn(
      () => check('set', w.call(as(w, role), 'PUT', `/api/v1/classes/${klass.id}/offering`, { self_enrol: true, cap: 30 })),
      () => check('form page', w.call(as(w, role), 'GET', `/classes/${klass.id}/offering`)),
      () => pageForm(w, role, 'form', `/classes/${klass.id}/offering`, { self_enrol: 'on', cap: '20' }),
    );
  },
  'Catalogue · enrol yourself in a free course (`POST /classes/:id/offering/enrol`; page form `/catalogue/:id/enrol`)': async (w, role) => {
    const [one, two] = [await offeringIn(w, { self_enrol: true }, { student: false }), await offeringIn(w, { self_enrol: true }, { student: false })];
    return inTurn(
      () => check('enrol', w.call(as(w, role), 'POST', `/api/v1/classes/${one.id}/offering/enrol`)),
      () => pageForm(w, role, 'enrol form', `/catalogue/${two.id}/enrol`),
    );
  },
  'Course payments · pay for a course (`POST /classes/:id/offering/checkout`; page form `/catalogue/:id/pay`) and the page Checkout returns to (`/catalogue/:id/paid`, own payments only: others 404)':
    async (w, role) => {
      await connectStripe(w);
      const priced = { self_enrol: true, price_amount: 1500, currency: 'usd' };
      const [one, two] = [await offeringIn(w, priced, { student: false }), await offeringIn(w, priced, { student: false })];
      return inTurn(
        () => see('checkout', w.call(as(w, role), 'POST', `/api/v1/classes/${one.id}/offering/checkout`), (b) => /^https:/.test(b.url)),
        () => pageForm(w, role, 'pay form', `/catalogue/${two.id}/pay`),
        () => check('return page', w.call(as(w, role), 'GET', `/catalogue/${two.id}/paid`)),
      );
    },
  'Course payments · connect the school’s Stripe account (`PUT /course-payments/account`; page `/admin/course-payments`)': async (w, role) =>
    inTurn(
      // The same account every time (connecting is idempotent), so the payment probe's account stays.
      () => check('connect', w.call(as(w, role), 'PUT', '/api/v1/course-payments/account', { stripe_account_id: stripeAccount(w) })),
      () => check('page', w.call(as(w, role), 'GET', '/admin/course-payments')),
      () => pageForm(w, role, 'form', '/admin/course-payments', { stripe_account_id: stripeAccount(w) }),
    ),
  'Courses · read the outline and lessons (`GET /classes/:id/course`, `GET /lessons/:id`)': async (w, role) => {
    const { lesson } = await courseIn(w, w.klass.id);
    return inTurn(
      () => see('outline', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/course`), (b) => b.units.length > 0),
      () => check('lesson', w.call(as(w, role), 'GET', `/api/v1/lessons/${lesson.id}`)),
    );
  },
  'Courses · build: settings, units, lessons, reorder, copy into a new class': async (w, role) => {
    const klass = await w.freshClass();
    const me = as(w, role);
    let unit: { id: string } | undefined;
    return inTurn(
      () => check('settings', w.call(me, 'PUT', `/api/v1/classes/${klass.id}/course`, { pass_percent: 50 })),
      async () => {
        const res = await w.call(me, 'POST', `/api/v1/classes/${klass.id}/course/units`, { title: 'Unit' });
        unit = ok(res) ? res.body : undefined;
        return { action: 'unit', res };
      },
      async () => {
        const target = unit ?? (await courseIn(w, klass.id)).unit;
        return check('lesson', w.call(me, 'POST', `/api/v1/course-units/${target.id}/lessons`, { title: 'Lesson' }));
      },
      async () => {
        const course = await w.call(w.teacher, 'GET', `/api/v1/classes/${klass.id}/course`);
        const ids = course.body.units.map((u: { id: string }) => u.id);
        return check('reorder', w.call(me, 'PUT', `/api/v1/classes/${klass.id}/course/unit-order`, { unit_ids: ids.reverse(), version: course.body.version }));
      },
      () => check('copy', w.call(me, 'POST', `/api/v1/classes/${klass.id}/course/copy`, { name: `Copy ${w.unique()}` })),
    );
  },
  'Course progress · mark a lesson done (`POST /lessons/:id/progress`)': async (w, role) => {
    const { lesson } = await courseIn(w, w.klass.id);
    return [await check('done', w.call(as(w, role), 'POST', `/api/v1/lessons/${lesson.id}/progress`, { event_id: `p-${w.unique()}` }))];
  },
  'Course progress · read (`GET /classes/:id/course/progress`)': async (w, role) => {
    await courseIn(w, w.klass.id);
    return [await see('progress', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/course/progress`), (b) => b.data.length > 0)];
  },
  'Certificates · read (`GET /classes/:id/certificates`, `GET /certificates/:id`, the PDF)': async (w, role) => {
    const cert = await certificateIn(w, w.klass.id);
    return inTurn(
      () => check('read', w.call(as(w, role), 'GET', `/api/v1/certificates/${cert.id}`)),
      () => see('list', w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/certificates`), (b) => b.data.length > 0),
    );
  },
  'Certificates · revoke': async (w, role) => {
    const cert = await certificateIn(w, (await w.freshClass()).id);
    return [await check('revoke', w.call(as(w, role), 'POST', `/api/v1/certificates/${cert.id}/revoke`, { reason: 'Probe' }))];
  },
  'Certificates · verify a code (`GET /certificates/verify/:code`, `/verify/:code`)': async (w, role) => {
    const cert = await certificateIn(w, w.klass.id);
    return inTurn(
      () => see('verify', w.call(as(w, role), 'GET', `/api/v1/certificates/verify/${cert.code}`), (b) => b.status === 'genuine' || b.status === 'revoked'),
      () => check('page', w.call(as(w, role), 'GET', `/verify/${cert.code}`)),
    );
  },
};

/** A fresh class taught by the world's teacher (with the student when asked) and its offering, set by an admin. */
async function offeringIn(w: MatrixWorld, offering: Record<string, unknown>, members: { student: boolean }) {
  const klass = await createClassIn(w.school, { teachers: [w.teacher], students: members.student ? [w.student] : [] }, `Course ${w.unique()}`);
  await w.must(w.asAdmin('PUT', `/api/v1/classes/${klass.id}/offering`, offering), 'offering');
  return klass;
}

const stripeAccount = (w: MatrixWorld) => `acct_matrix${w.school.slug.replace(/[^A-Za-z0-9]/g, '')}`;
/** Course payments need the school's connected Stripe account (the stand-in plays Stripe). */
async function connectStripe(w: MatrixWorld) {
  await w.must(w.asAdmin('PUT', '/api/v1/course-payments/account', { stripe_account_id: stripeAccount(w) }), 'connect Stripe');
}

/** The class's course with one released unit and lesson, made by its teacher on first use. */
const courses = new Map<string, Promise<{ unit: { id: string }; lesson: { id: string } }>>();
function courseIn(w: MatrixWorld, classId: string) {
  let found = courses.get(classId);
  if (!found) {
    found = (async () => {
      const unit = (await w.must(w.call(w.teacher, 'POST', `/api/v1/classes/${classId}/course/units`, { title: 'Start', publish_at: 'now' }), 'unit')) as {
        id: string;
      };
      const lesson = (await w.must(w.call(w.teacher, 'POST', `/api/v1/course-units/${unit.id}/lessons`, { title: 'First', publish_at: 'now' }), 'lesson')) as {
        id: string;
      };
      return { unit, lesson };
    })();
    courses.set(classId, found);
  }
  return found;
}

/** The student's certificate for the class's course (they complete its one lesson). */
const certificates = new Map<string, Promise<{ id: string; code: string }>>();
function certificateIn(w: MatrixWorld, classId: string) {
  let found = certificates.get(classId);
  if (!found) {
    found = (async () => {
      const { lesson } = await courseIn(w, classId);
      await w.must(w.call(w.student, 'POST', `/api/v1/lessons/${lesson.id}/progress`, { event_id: `done-${lesson.id}` }), 'complete');
      const list = (await w.must(w.call(w.teacher, 'GET', `/api/v1/classes/${classId}/certificates`), 'certificates')) as {
        data: { id: string; code: string }[];
      };
      const cert = list.data[0];
      if (!cert) throw new Error('no certificate was issued');
      return cert;
    })();
    certificates.set(classId, found);
  }
  return found;
}
