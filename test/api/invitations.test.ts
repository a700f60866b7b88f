// Invitations and roster import, through HTTP and the CLI.
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { withTenant } from '../../tenants/session.ts';
import { edify } from '../helpers/cli.ts';
import { testEnv } from '../helpers/env.ts';
import { createSchool, inSchool, type School, scene } from '../helpers/factories.ts';
import { MAIL_DIR } from '../helpers/http.ts';
import { tokenFromMail, waitForMail } from '../helpers/mail.ts';

const people = (school: School) => withTenant(testEnv().dbs.app, { id: school.tenant.id }, (db) => db('users').count<{ count: string }[]>('* as count'));

test('an invite is single use, sets the password, and signs the person in', async (t) => {
  const { school, admin, request, get } = await scene({ people: {} });
  const email = `new-teacher@${school.slug}.test`;
  const invited = await request(admin, 'POST', '/api/v1/users/invitations', { email, first_name: 'Nia', last_name: 'New', role: 'teacher' });
  t.is(invited.status, 201);
  t.is(invited.body.user.status, 'invited');
  const [mail] = await waitForMail(MAIL_DIR, email);
  t.is(mail?.template, 'invite');
  t.regex(mail?.html ?? '', /Nia|Riverside Primary/);
  const token = tokenFromMail(mail);

  t.is((await request(null, 'POST', '/api/v1/auth/login', { email, password: 'whatever it is' })).status, 401, 'no sign-in before accepting');
  const accepted = await request(null, 'POST', '/api/v1/auth/invitations/accept', { token, password: 'a good long passphrase' });
  t.is(accepted.status, 200);
  const me = await get({ token: accepted.body.access_token }, '/api/v1/me');
  t.like(me.body, { email, role: 'teacher', status: 'active' });
  const reused = await request(null, 'POST', '/api/v1/auth/invitations/accept', { token, password: 'another long passphrase' });
  t.is(reused.status, 422);
  t.regex(reused.body.errors[0].message, /already been used/);
});

test('an expired invitation is refused', async (t) => {
  const { school, admin, request } = await scene({ people: {} });
  const email = `late@${school.slug}.test`;
  await request(admin, 'POST', '/api/v1/users/invitations', { email, first_name: 'L', last_name: 'Ate', role: 'student' });
  const token = tokenFromMail((await waitForMail(MAIL_DIR, email))[0]);
  await inSchool(school, (scope) => scope.db('invitations').update({ expires_at: new Date(Date.now() - 1000) }));
  const res = await request(null, 'POST', '/api/v1/auth/invitations/accept', { token, password: 'a good long passphrase' });
  t.is(res.status, 422);
  t.regex(res.body.errors[0].message, /expired/);
});

test('teachers invite students into their own classes only', async (t) => {
  const { school, teacher, student, mine, theirs, request, get } = await scene({
    people: { teacher: 'teacher', other: 'teacher', student: 'student' },
    classes: { mine: { name: 'Year 5 Science', teachers: ['teacher'] }, theirs: { name: 'Year 5 Science', teachers: ['other'] } },
  });
  const invite = (body: object) => request(teacher, 'POST', '/api/v1/users/invitations', body);
  const ok = await invite({ email: `kid@${school.slug}.test`, first_name: 'K', last_name: 'Id', role: 'student', class_ids: [mine.id] });
  t.is(ok.status, 201);
  const roster = await get(teacher, `/api/v1/classes/${mine.id}/members`);
  t.true(roster.body.data.some((m: { user: { email: string } }) => m.user.email === `kid@${school.slug}.test`));
  t.is((await invite({ email: `t2@${school.slug}.test`, first_name: 'T', last_name: 'Two', role: 'teacher', class_ids: [mine.id] })).status, 403);
  t.is((await invite({ email: `kid2@${school.slug}.test`, first_name: 'K', last_name: 'Two', role: 'student', class_ids: [theirs.id] })).status, 404);
  t.is((await request(student, 'POST', '/api/v1/users/invitations', { email: 'x@y.test', first_name: 'X', last_name: 'Y', role: 'student' })).status, 403);
});

test('seat limits stop invitations and say how to fix it', async (t) => {
  const { school, admin, request } = await scene({ people: { teacher: 'teacher' } });
  await testEnv().dbs.owner('tenants').where({ id: school.tenant.id }).update({ seat_limit: 2 });
  const invite = (n: number) =>
    request(admin, 'POST', '/api/v1/users/invitations', { email: `s${n}@${school.slug}.test`, first_name: 'S', last_name: `${n}`, role: 'student' });
  t.is((await invite(1)).status, 201);
  const full = await invite(2);
  t.is(full.status, 409);
  t.is(full.body.type, 'https://edify.app/problems/seat-limit-reached');
  t.like(full.body, { seat_limit: 2, seats_in_use: 2 });
  t.regex(full.body.detail, /upgrade the plan/);
  const anotherAdmin = await request(admin, 'POST', '/api/v1/users/invitations', {
    email: `a2@${school.slug}.test`,
    first_name: 'A',
    last_name: 'Two',
    role: 'admin',
  });
  t.is(anotherAdmin.status, 201, 'admins do not take a seat');
});

function roster(rows: number, bad: Map<number, string[]> = new Map(), code = ''): string {
  const lines = ['Email,First Name,Last Name,Role,Class Codes'];
  for (let i = 1; i <= rows; i++) lines.push((bad.get(i) ?? [`pupil${i}@roster.test`, 'Pat', `Pupil ${i}`, 'student', code]).join(','));
  return `${lines.join('\n')}\n`;
}

test('a 500-row roster with 3 bad rows imports nothing and reports exactly those 3', async (t) => {
  const { school, admin, request } = await scene({ people: {} });
  const before = await people(school);
  const bad = new Map([
    [17, ['not-an-email', 'Pat', 'Bad', 'student', '']],
    [250, ['pupil250@roster.test', '', 'Nameless', 'student', '']],
    [480, ['pupil480@roster.test', 'Pat', 'Head', 'headteacher', '']],
  ]);
  const res = await request(admin, 'POST', '/api/v1/users/import', { csv: roster(500, bad) });
  t.is(res.status, 422);
  t.deepEqual(
    res.body.row_errors.map((e: { line: number; column: string }) => [e.line, e.column]),
    [
      [18, 'email'],
      [251, 'first_name'],
      [481, 'role'],
    ],
  );
  t.deepEqual(await people(school), before, 'nothing was imported');
  const dry = await request(admin, 'POST', '/api/v1/users/import', { csv: roster(500, bad), dry_run: true });
  t.is(dry.status, 200);
  t.is(dry.body.errors.length, 3);
});

test('every problem of every row is reported, not only the first of each row', async (t) => {
  const { admin, taken, request } = await scene({ people: { taken: 'teacher' } });
  const csv = [
    'email,first_name,last_name,role,class_codes',
    'not-an-email,,,headteacher,NOPE123',
    `${taken.email},Tess,,student,`,
    'ok@roster.test,Olive,Okay,student,',
    'OK@roster.test,,Again,student,',
  ].join('\n');
  const dry = await request(admin, 'POST', '/api/v1/users/import', { csv, dry_run: true });
  t.is(dry.status, 200);
  t.deepEqual(
    dry.body.errors.map((e: { line: number; column: string }) => [e.line, e.column]),
    [
      [2, 'email'],
      [2, 'first_name'],
      [2, 'last_name'],
      [2, 'role'],
      [2, 'class_codes'],
      [3, 'email'],
      [3, 'last_name'],
      [5, 'email'],
      [5, 'first_name'],
    ],
  );
  t.regex(dry.body.errors.find((e: { line: number; column: string }) => e.line === 5 && e.column === 'email').reason, /repeats line 4/);
  const res = await request(admin, 'POST', '/api/v1/users/import', { csv });
  t.is(res.status, 422);
  t.is(res.body.row_errors.length, 9);
});

test('a clean roster imports everyone, places them in classes by code, and invites them', async (t) => {
  const { school, admin, klass, request, get } = await scene({ people: {}, classes: { klass: { name: 'Year 5 Science' } } });
  const code = (await get(admin, `/api/v1/classes/${klass.id}`)).body.join_code;
  const csv = roster(3, new Map(), code).replaceAll('@roster.test', `@${school.slug}.test`);
  const dry = await request(admin, 'POST', '/api/v1/users/import', { csv, dry_run: true });
  t.deepEqual(dry.body, { dry_run: true, rows: 3, created: 0, errors: [] });
  const res = await request(admin, 'POST', '/api/v1/users/import', { csv });
  t.is(res.status, 201);
  t.is(res.body.created, 3);
  const members = await get(admin, `/api/v1/classes/${klass.id}/members`);
  t.is(members.body.data.length, 3);
  t.is((await waitForMail(MAIL_DIR, `pupil3@${school.slug}.test`)).length, 1);
  const again = await request(admin, 'POST', '/api/v1/users/import', { csv });
  t.is(again.status, 422, 'importing the same people twice is refused row by row');
  t.is(again.body.row_errors.length, 3);
});

test('edify users:import checks, reports and imports a CSV file', async (t) => {
  const school = await createSchool();
  const file = path.join(os.tmpdir(), `roster-${school.slug}.csv`);
  await writeFile(
    file,
    roster(
      4,
      new Map([
        [2, ['dup@x.test', 'A', 'B', 'student', '']],
        [3, ['dup@x.test', 'C', 'D', 'student', 'NOPE123']],
      ]),
    ),
  );
  const bad = await edify(['users:import', school.slug, file]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /2 problems; nothing was imported/);
  t.regex(bad.stderr, /repeats line 3/);
  t.regex(bad.stderr, /no class has the code NOPE123/);
  await writeFile(file, roster(4).replaceAll('@roster.test', `@${school.slug}.test`));
  const dry = await edify(['users:import', school.slug, file, '--dry-run', '--json']);
  t.deepEqual(dry.json, { dry_run: true, rows: 4, created: 0, errors: [] });
  const done = await edify(['users:import', school.slug, file, '--json']);
  t.is(done.code, 0, done.stderr);
  t.is(done.json.created, 4);
  t.is(Number((await people(school))[0]?.count), 5);
});
