// A school with one class seen from every role, for features that live inside a class
// (resources, notices): its teacher, a teacher of another class, an enrolled student, a student
// of the other class, a guardian linked to the enrolled student, and a guardian linked to the
// other student. Requests go through the real app (startApp), with an injectable clock.
import { createClassIn, createPerson, createSchool, linkGuardian, type Person } from './factories.ts';
import { type Client, startApp } from './http.ts';

export type Classroom = Awaited<ReturnType<typeof classroom>>;

/** `app` may be shared by the tests of a file; each call makes a fresh school. */
export async function classroom(app?: Client) {
  const client = app ?? (await startApp());
  const school = await createSchool();
  const [teacher, otherTeacher, student, otherStudent, guardian, otherGuardian] = await Promise.all([
    createPerson(school, 'teacher', { last_name: 'Teach' }),
    createPerson(school, 'teacher', { last_name: 'Other' }),
    createPerson(school, 'student', { first_name: 'Sam', last_name: 'Able' }),
    createPerson(school, 'student', { first_name: 'Olly', last_name: 'Other' }),
    createPerson(school, 'guardian', { last_name: 'Parent' }),
    createPerson(school, 'guardian', { last_name: 'Unlinked' }),
  ]);
  await linkGuardian(school, guardian, student);
  await linkGuardian(school, otherGuardian, otherStudent);
  const mine = await createClassIn(school, { teachers: [teacher], students: [student] }, 'Maths');
  const theirs = await createClassIn(school, { teachers: [otherTeacher], students: [otherStudent] }, 'History');
  const admin = school.admin;
  const request = (who: Person, method: string, path: string, body?: unknown) => client.request(school.slug, method, path, { token: who.token, body });
  const get = (who: Person, path: string) => request(who, 'GET', path);
  return { app: client, school, admin, teacher, otherTeacher, student, otherStudent, guardian, otherGuardian, mine, theirs, request, get };
}

export const idsOf = (res: { body: { data: { id: string }[] } }) => res.body.data.map((r) => r.id);
