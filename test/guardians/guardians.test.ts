// Guardians: linked by admins (the school office) only, invited by email when new, and then
// read-only viewers of exactly their own students (docs/permissions.md, "Guardians" rows).
import test from 'ava';
import { inSchool, scene } from '../helpers/factories.ts';
import { MAIL_DIR } from '../helpers/http.ts';
import { waitForMail } from '../helpers/mail.ts';

function guardiansWorld() {
  return scene({
    people: {
      teacher: 'teacher',
      otherTeacher: 'teacher',
      student: { role: 'student', first_name: 'Sam', last_name: 'student' },
      otherStudent: 'student',
      guardian: 'guardian',
    },
    classes: {
      klass: { name: 'Maths', teachers: ['teacher'], students: ['student'] },
      otherClass: { name: 'Art', teachers: ['otherTeacher'], students: ['otherStudent'] },
    },
  });
}

test('an admin links an existing guardian to a student; the guardian then sees only that student', async (t) => {
  const w = await guardiansWorld();
  const linked = await w.request(w.admin, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id, relationship: 'mother' });
  t.is(linked.status, 201);
  t.deepEqual(
    linked.body.data.map((g: { id: string; relationship: string }) => [g.id, g.relationship]),
    [[w.guardian.id, 'mother']],
  );
  t.is((await w.request(w.admin, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id })).status, 200, 'linking twice is harmless');

  const mine = await w.get(w.guardian, '/api/v1/me/students');
  t.deepEqual(mine.body.data, [
    { id: w.student.id, first_name: 'Sam', last_name: 'student', relationship: 'mother', classes: [{ id: w.klass.id, name: 'Maths' }] },
  ]);
  const classes = await w.get(w.guardian, '/api/v1/classes');
  t.deepEqual(
    classes.body.data.map((c: { id: string }) => c.id),
    [w.klass.id],
  );
  t.is((await w.get(w.guardian, `/api/v1/classes/${w.otherClass.id}`)).status, 404);
  t.is((await w.get(w.guardian, `/api/v1/users/${w.student.id}`)).status, 200, 'a linked student’s profile');
  t.is((await w.get(w.guardian, `/api/v1/users/${w.otherStudent.id}`)).status, 404, 'no other student');
  // Read-only: no class changes, no roster, no joining, no linking.
  t.is((await w.request(w.guardian, 'PATCH', `/api/v1/classes/${w.klass.id}`, { name: 'Mine' })).status, 403);
  t.is((await w.get(w.guardian, `/api/v1/classes/${w.klass.id}/members`)).status, 403);
  t.is((await w.request(w.guardian, 'POST', '/api/v1/classes', { name: 'Mine' })).status, 403);
  t.is((await w.request(w.guardian, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id })).status, 403);
  t.deepEqual((await w.get(w.student, '/api/v1/me/students')).body.data, [], 'empty for anyone but guardians');
});

test('guardian links are the school office’s: teachers neither link nor unlink, even for students they teach', async (t) => {
  const w = await guardiansWorld();
  const links = () => inSchool(w.school, (scope) => scope.db('guardian_links').orderBy('guardian_id').pluck('guardian_id'));
  // A teacher can neither attach an account of their choosing (invited on the spot) nor an existing guardian…
  const invited = await w.request(w.teacher, 'POST', `/api/v1/users/${w.student.id}/guardians`, {
    email: `teacher-made-${w.school.slug}@example.test`,
    first_name: 'Not',
    last_name: 'Parent',
  });
  t.is(invited.status, 403);
  t.is((await w.request(w.teacher, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id })).status, 403);
  t.deepEqual(await links(), [], 'nothing was linked');
  t.is(
    await inSchool(w.school, (scope) => scope.db('users').where({ role: 'guardian' }).count<{ count: string }[]>('* as count')).then((r) =>
      Number(r[0]?.count),
    ),
    1,
    'and nobody was invited',
  );
  // …nor unlink a real parent.
  t.is((await w.request(w.admin, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id })).status, 201);
  t.is((await w.request(w.teacher, 'DELETE', `/api/v1/users/${w.student.id}/guardians/${w.guardian.id}`)).status, 403);
  t.deepEqual(await links(), [w.guardian.id], 'the link stays');
  // They still see who the guardians of their students are.
  t.deepEqual(
    (await w.get(w.teacher, `/api/v1/users/${w.student.id}/guardians`)).body.data.map((g: { id: string }) => g.id),
    [w.guardian.id],
  );
});

test('admins link guardians to any student; teachers read the guardians of students they teach; students never link', async (t) => {
  const w = await guardiansWorld();
  t.is(
    (await w.request(w.teacher, 'POST', `/api/v1/users/${w.otherStudent.id}/guardians`, { guardian_id: w.guardian.id })).status,
    403,
    'a student the teacher does not teach',
  );
  t.is((await w.request(w.student, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id })).status, 403);
  t.is((await w.request(w.admin, 'POST', `/api/v1/users/${w.otherStudent.id}/guardians`, { guardian_id: w.guardian.id })).status, 201);
  t.is((await w.get(w.otherTeacher, `/api/v1/users/${w.otherStudent.id}/guardians`)).body.data.length, 1);
  t.is((await w.get(w.teacher, `/api/v1/users/${w.otherStudent.id}/guardians`)).status, 404);
  // Not a guardian, or not a student: refused with the field that is wrong.
  const wrong = await w.request(w.admin, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.otherTeacher.id });
  t.is(wrong.status, 422);
  t.is(wrong.body.errors[0].field, 'guardian_id');
  t.is(
    (await w.request(w.admin, 'POST', `/api/v1/users/${w.teacher.id}/guardians`, { guardian_id: w.guardian.id })).status,
    404,
    'only students have guardians',
  );
  const staffEmail = await w.request(w.admin, 'POST', `/api/v1/users/${w.student.id}/guardians`, {
    email: w.teacher.email,
    first_name: 'A',
    last_name: 'B',
  });
  t.is(staffEmail.status, 422);
  t.is(staffEmail.body.errors[0].field, 'email');
});

test('a guardian new to the school is invited by email, takes no seat, and unlinking ends their view at once', async (t) => {
  const w = await guardiansWorld();
  const email = `parent-${w.school.slug}@example.test`;
  const res = await w.request(w.admin, 'POST', `/api/v1/users/${w.student.id}/guardians`, { email, first_name: 'Pam', last_name: 'Parent' });
  t.is(res.status, 201);
  const [guardian] = res.body.data;
  t.is(guardian.status, 'invited');
  const [mail] = await waitForMail(MAIL_DIR, email);
  t.regex(mail?.text ?? '', /accept-invite\?token=/);
  const seats = await inSchool(w.school, (scope) => scope.db('users').where({ role: 'guardian' }).count<{ count: string }[]>('* as count'));
  t.is(Number(seats[0]?.count), 2);

  await w.request(w.admin, 'POST', `/api/v1/users/${w.student.id}/guardians`, { guardian_id: w.guardian.id });
  t.is((await w.get(w.guardian, '/api/v1/classes')).body.data.length, 1);
  t.is((await w.request(w.admin, 'DELETE', `/api/v1/users/${w.student.id}/guardians/${w.guardian.id}`)).status, 204);
  t.is((await w.get(w.guardian, '/api/v1/classes')).body.data.length, 0);
  t.is((await w.request(w.admin, 'DELETE', `/api/v1/users/${w.student.id}/guardians/${w.guardian.id}`)).status, 404);
  const audited = await inSchool(w.school, (scope) => scope.db('audit_events').whereIn('action', ['guardian.linked', 'guardian.unlinked']).pluck('action'));
  t.deepEqual(audited.sort(), ['guardian.linked', 'guardian.linked', 'guardian.unlinked']);
});

test('guardians cannot be put on class rosters by invitation or import', async (t) => {
  const w = await guardiansWorld();
  const invite = await w.request(w.admin, 'POST', '/api/v1/users/invitations', {
    email: 'g@example.test',
    first_name: 'G',
    last_name: 'G',
    role: 'guardian',
    class_ids: [w.klass.id],
  });
  t.is(invite.status, 422);
  t.is(invite.body.errors[0].field, 'class_ids');
  const csv = 'email,first_name,last_name,role,class_codes\ng2@example.test,G,G,guardian,\n';
  const report = await w.request(w.admin, 'POST', '/api/v1/users/import', { csv, dry_run: true });
  t.is(report.body.errors[0].column, 'role');
});
