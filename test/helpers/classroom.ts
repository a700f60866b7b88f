// A school with one class seen from every role, for features that live inside a class
// (resources, notices): its teacher, a teacher of another class, an enrolled student, a student
// of the other class, a guardian linked to the enrolled student, and a guardian linked to the
// other student. Requests go through the real app (startApp), with an injectable clock.
import { scene } from './factories.ts';
import type { Client } from './http.ts';

export type Classroom = Awaited<ReturnType<typeof classroom>>;

/** `app` may be shared by the tests of a file; each call makes a fresh school. */
export function classroom(app?: Client | Promise<Client>) {
  return scene({
    app,
    people: {
      teacher: { role: 'teacher', last_name: 'Teach' },
      otherTeacher: { role: 'teacher', last_name: 'Other' },
      student: { role: 'student', first_name: 'Sam', last_name: 'Able' },
      otherStudent: { role: 'student', first_name: 'Olly', last_name: 'Other' },
      guardian: { role: 'guardian', last_name: 'Parent', guardianOf: ['student'] },
      otherGuardian: { role: 'guardian', last_name: 'Unlinked', guardianOf: ['otherStudent'] },
    },
    classes: {
      mine: { name: 'Maths', teachers: ['teacher'], students: ['student'] },
      theirs: { name: 'History', teachers: ['otherTeacher'], students: ['otherStudent'] },
    },
  });
}

export const idsOf = (res: { body: { data: { id: string }[] } }) => res.body.data.map((r) => r.id);
