// One probe per row of docs/permissions.md: tries the row's action as the role, on a record in
// that role's reach (test/permissions/world.ts), and says whether it worked. The matrix test
// compares the answer with the cell. A row without a probe fails the matrix test.
import { PDF, upload } from '../helpers/files.ts';
import type { Response } from '../helpers/http.ts';
import type { MatrixRole, MatrixWorld } from './world.ts';

type Probe = (w: MatrixWorld, role: MatrixRole) => Promise<boolean>;

const ok = (r: Response) => r.status >= 200 && r.status < 300;
const as = (w: MatrixWorld, role: MatrixRole) => w.people[role];

export const PROBES: Record<string, Probe> = {
  'Users · list / read': async (w, role) => {
    const target = { admin: w.teacher.id, teacher: w.student.id, student: w.student.id, guardian: w.student.id }[role];
    return ok(await w.call(as(w, role), 'GET', `/api/v1/users/${target}`));
  },
  'Users · create, change name/role/status, sign out everywhere, unlock, reset 2FA': async (w, role) =>
    ok(await w.call(as(w, role), 'PATCH', `/api/v1/users/${w.teacher.id}`, { first_name: 'Pat' })),
  'Users · invite': async (w, role) =>
    ok(
      await w.call(as(w, role), 'POST', '/api/v1/users/invitations', {
        email: `new-${w.unique()}@example.test`,
        first_name: 'New',
        last_name: 'Pupil',
        role: 'student',
        class_ids: [w.klass.id],
      }),
    ),
  'Users · import roster (CSV)': async (w, role) =>
    ok(
      await w.call(as(w, role), 'POST', '/api/v1/users/import', {
        csv: `email,first_name,last_name,role\nn-${w.unique()}@example.test,N,N,student\n`,
        dry_run: true,
      }),
    ),
  'School settings · read': async (w, role) => ok(await w.call(as(w, role), 'GET', '/api/v1/school')),
  'School settings · update': async (w, role) => ok(await w.call(as(w, role), 'PATCH', '/api/v1/school', { color: '#2457c5' })),
  'Own sessions, 2FA, password': async (w, role) => ok(await w.call(as(w, role), 'GET', '/api/v1/me/sessions')),
  'Classes · create': async (w, role) => ok(await w.call(as(w, role), 'POST', '/api/v1/classes', { name: `Class ${w.unique()}` })),
  'Classes · read': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}`)),
  'Classes · update, archive, rotate join code, manage roster': async (w, role) =>
    ok(await w.call(as(w, role), 'PATCH', `/api/v1/classes/${w.klass.id}`, { description: 'Numbers' })),
  'Classes · see teachers and classmates by name (`GET /classes/:id/people`)': async (w, role) => {
    const r = await w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/people`);
    return ok(r) && r.body.data.length > 0;
  },
  'Classes · see the join code': async (w, role) => {
    const r = await w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}`);
    return ok(r) && typeof r.body.join_code === 'string';
  },
  'Classes · join by code': async (w, role) => ok(await w.call(as(w, role), 'POST', '/api/v1/classes/join', { code: w.joinCode })),
  'Audit log · read (`GET /audit-events`)': async (w, role) => ok(await w.call(as(w, role), 'GET', '/api/v1/audit-events')),
  'SSO connections · manage, read attempts': async (w, role) => ok(await w.call(as(w, role), 'GET', '/api/v1/sso/connections')),
  'Billing · read, checkout, portal': async (w, role) => ok(await w.call(as(w, role), 'GET', '/api/v1/billing')),
  'Guardians · link to a student (existing guardian, or invite by email)': async (w, role) =>
    ok(await w.call(as(w, role), 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id })),
  'Guardians · list a student’s guardians': async (w, role) => {
    const r = await w.call(as(w, role), 'GET', `/api/v1/users/${w.student.id}/guardians`);
    return ok(r) && r.body.data.length > 0;
  },
  'Guardians · unlink': async (w, role) => {
    const extra = await w.must(
      w.asAdmin('POST', `/api/v1/users/${w.student.id}/guardians`, { email: `g-${w.unique()}@example.test`, first_name: 'G', last_name: 'G' }),
      'second guardian',
    );
    const other = (extra.data as { id: string }[]).find((g) => g.id !== w.guardian.id);
    return ok(await w.call(as(w, role), 'DELETE', `/api/v1/users/${w.student.id}/guardians/${other?.id}`));
  },
  'Guardians · own linked students and their classes (`GET /me/students`)': async (w, role) => {
    const r = await w.call(as(w, role), 'GET', '/api/v1/me/students');
    return ok(r) && r.body.data.length > 0;
  },
  'Gradebook · read': async (w, role) => {
    const r = await w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/gradebook`);
    return ok(r) && r.body.rows.length > 0;
  },
  'Gradebook · export CSV, set category weights': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/classes/${w.klass.id}/gradebook/csv`)),
  Search: async (w, role) => {
    const r = await w.call(as(w, role), 'GET', '/api/v1/search?q=fractions');
    return ok(r) && r.body.data.some((h: { id: string }) => h.id === w.homework.id);
  },
  'Resources and topics · read': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/resources/${w.resource.id}`)),
  'Resources and topics · create, update, move, reorder, delete': async (w, role) =>
    ok(await w.call(as(w, role), 'POST', `/api/v1/classes/${w.klass.id}/resources`, { kind: 'link', title: 'More', url: 'https://example.org/m' })),
  'Notices · read (lists and single)': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/notices/${w.notice.id}`)),
  'Notices · class notice create, update, publish, delete': async (w, role) =>
    ok(await w.call(as(w, role), 'POST', `/api/v1/classes/${w.klass.id}/notices`, { title: 'Note', body: 'Text' })),
  'Notices · school-wide notice create, update, delete': async (w, role) =>
    ok(await w.call(as(w, role), 'POST', '/api/v1/notices', { title: 'All', body: 'Text' })),
  'Notices · mark read (own receipt)': async (w, role) => ok(await w.call(as(w, role), 'POST', `/api/v1/notices/${w.notice.id}/read`)),
  'Notices · read receipts (who has and has not read)': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/notices/${w.notice.id}/receipts`)),
  'Homework · create, update, publish/schedule/unpublish, delete': async (w, role) =>
    ok(await w.call(as(w, role), 'POST', `/api/v1/classes/${w.klass.id}/homework`, { title: 'More', due_at: w.dueAt })),
  'Homework · read, list': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/homework/${w.homework.id}`)),
  'Submissions · turn in, turn in again': async (w, role) =>
    ok(await w.call(as(w, role), 'PUT', `/api/v1/homework/${w.homework.id}/submission`, { body: 'Again' })),
  'Submissions · read (roster with assigned/missing rows, one student’s work and history)': async (w, role) =>
    ok(await w.call(as(w, role), 'GET', `/api/v1/homework/${w.homework.id}/submissions/${w.student.id}`)),
  'Submissions · see draft grades (score and feedback before return)': async (w, role) => {
    await w.must(w.call(w.teacher, 'PUT', `/api/v1/homework/${w.homework.id}/submissions/${w.student.id}/grade`, { score: 6, return: false }), 'draft grade');
    const r = await w.call(as(w, role), 'GET', `/api/v1/homework/${w.homework.id}/submissions/${w.student.id}`);
    return ok(r) && r.body.score === 6;
  },
  'Submissions · grade, return, regrade, bulk grade': async (w, role) =>
    ok(await w.call(as(w, role), 'PUT', `/api/v1/homework/${w.homework.id}/submissions/${w.student.id}/grade`, { score: 7 })),
  'Quizzes · create, change settings, add/edit/move questions, publish, delete, regrade': async (w, role) =>
    ok(await w.call(as(w, role), 'POST', `/api/v1/classes/${w.klass.id}/quizzes`, { title: `Quiz ${w.unique()}` })),
  'Quizzes · read settings, list': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}`)),
  'Quizzes · questions with the answer key (`GET /quizzes/:id/questions`)': async (w, role) =>
    ok(await w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/questions`)),
  'Quiz attempts · start, autosave, submit': async (w, role) => ok(await w.call(as(w, role), 'POST', `/api/v1/quizzes/${w.quiz.id}/attempts`)),
  'Quiz attempts · read one (questions in the student’s order, saved answers)': async (w, role) =>
    ok(await w.call(as(w, role), 'GET', `/api/v1/quiz-attempts/${w.quizAttempt.id}`)),
  'Quiz results · a student’s standing (`my-results`), attempts list': async (w, role) =>
    ok(await w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/my-results?student_id=${w.student.id}`)),
  'Quiz results · per-student results, per-question statistics': async (w, role) =>
    ok(await w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/statistics`)),
  'Quiz attempts · grade hand-graded questions': async (w, role) =>
    ok(await w.call(as(w, role), 'PUT', `/api/v1/quiz-attempts/${w.quizAttempt.id}/grades/${w.quizQuestion.id}`, { score: 3 })),
  'Quizzes · leaderboard': async (w, role) => ok(await w.call(as(w, role), 'GET', `/api/v1/quizzes/${w.quiz.id}/leaderboard`)),
  'Files · upload (`POST /files`)': async (w, role) => ok(await upload(w.app, w.school.slug, as(w, role).token, { name: 'a.pdf', content: PDF })),
  'Files · download a file attached to class work (`GET /files/:id`, `GET /files/:id/url`)': async (w, role) => {
    const file = await w.must(upload(w.app, w.school.slug, w.teacher.token, { name: 'sheet.pdf', content: PDF }), 'upload');
    await w.must(
      w.call(w.teacher, 'POST', `/api/v1/classes/${w.klass.id}/resources`, { kind: 'file', title: 'Sheet', attachment: { file_id: file.id } }),
      'resource',
    );
    return ok(await w.call(as(w, role), 'GET', `/api/v1/files/${file.id}`)) && ok(await w.call(as(w, role), 'GET', `/api/v1/files/${file.id}/url`));
  },
  'Files · list own files, delete own unattached files': async (w, role) => {
    const uploader = role === 'guardian' ? w.student : as(w, role);
    const file = await w.must(upload(w.app, w.school.slug, uploader.token, { name: 'mine.pdf', content: PDF }), 'upload');
    return ok(await w.call(as(w, role), 'GET', '/api/v1/files')) && ok(await w.call(as(w, role), 'DELETE', `/api/v1/files/${file.id}`));
  },
  'Files · storage usage (`GET /school/storage`, also `edify tenant:show`)': async (w, role) => ok(await w.call(as(w, role), 'GET', '/api/v1/school/storage')),
};
