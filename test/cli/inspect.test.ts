// Support commands: what an operator runs to see a school's classes and people.
import test from 'ava';
import { edify } from '../helpers/cli.ts';
import { createClassIn, createPerson, createSchool } from '../helpers/factories.ts';

test('classes:list shows a school’s classes with teachers and roster sizes, filtered', async (t) => {
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher', { email: `rivera@${school.slug}.test` });
  const other = await createPerson(school, 'teacher');
  const students = [await createPerson(school, 'student'), await createPerson(school, 'student')];
  await createClassIn(school, { teachers: [teacher], students }, 'Maths 5B');
  await createClassIn(school, { teachers: [other] }, 'Art');
  const all = await edify(['classes:list', school.slug, '--json']);
  t.is(all.code, 0, all.stderr);
  t.is(all.json.total, 2);
  t.deepEqual(
    all.json.classes.map((c: { name: string; students: number; teachers: string }) => [c.name, c.students, c.teachers]),
    [
      ['Art', 0, other.email],
      ['Maths 5B', 2, teacher.email],
    ],
  );
  const mine = await edify(['classes:list', school.slug, '--teacher', teacher.email.toUpperCase(), '--json']);
  t.deepEqual(
    mine.json.classes.map((c: { name: string }) => c.name),
    ['Maths 5B'],
  );
  const human = await edify(['classes:list', school.slug, '--limit', '1']);
  t.regex(human.stdout, /NAME\s+SUBJECT\s+TEACHERS/);
  t.regex(human.stdout, /Showing 1 of 2/);
  const missing = await edify(['classes:list', 'no-such-school-here']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /no-such-school-here/);
});

test('users:list filters by role and search, and says who has 2FA or never signed in', async (t) => {
  const school = await createSchool();
  await createPerson(school, 'teacher', { email: `rivera@${school.slug}.test`, last_name: 'Rivera' });
  await createPerson(school, 'student');
  await createPerson(school, 'guardian');
  const teachers = await edify(['users:list', school.slug, '--role', 'teacher', '--json']);
  t.is(teachers.code, 0, teachers.stderr);
  t.deepEqual(
    teachers.json.users.map((u: { email: string; role: string }) => [u.email, u.role]),
    [[`rivera@${school.slug}.test`, 'teacher']],
  );
  const found = await edify(['users:list', school.slug, '--search', 'rivera', '--json']);
  t.is(found.json.total, 1);
  const everyone = await edify(['users:list', school.slug]);
  t.regex(everyone.stdout, /guardian/);
  t.regex(everyone.stdout, /never/);
  const bad = await edify(['users:list', school.slug, '--role', 'janitor']);
  t.not(bad.code, 0);
});
