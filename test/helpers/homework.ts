// A school set up for homework tests, seen from every role, with a clock the test moves.
//  - teacher teaches Maths (students: sam, ada); otherTeacher teaches History (student: olly)
//  - guardian is linked to sam; otherGuardian to olly
// Requests go through the real app over HTTP.
import { withTenant } from '../../tenants/session.ts';
import { testEnv } from './env.ts';
import { type Person, type School, scene } from './factories.ts';
import { startApp } from './http.ts';

export const START = '2026-11-02T09:00:00.000Z';

export async function homeworkWorld() {
  let current = new Date(START);
  const w = await scene({
    app: startApp({}, { clock: () => current }),
    people: {
      teacher: { role: 'teacher', last_name: 'Teach' },
      otherTeacher: { role: 'teacher', last_name: 'Other' },
      sam: { role: 'student', first_name: 'Sam', last_name: 'Able' },
      ada: { role: 'student', first_name: 'Ada', last_name: 'Byron' },
      olly: { role: 'student', first_name: 'Olly', last_name: 'Other' },
      guardian: { role: 'guardian', last_name: 'Parent', guardianOf: ['sam'] },
      otherGuardian: { role: 'guardian', last_name: 'Unlinked', guardianOf: ['olly'] },
    },
    classes: {
      maths: { name: 'Maths', teachers: ['teacher'], students: ['sam', 'ada'] },
      history: { name: 'History', teachers: ['otherTeacher'], students: ['olly'] },
    },
  });
  const { request, maths, teacher } = w;

  /** Homework in Maths, published now and due in a week unless the body says otherwise. */
  async function setHomework(body: Record<string, unknown> = {}, classId = maths.id, who: Person = teacher) {
    const res = await request(who, 'POST', `/api/v1/classes/${classId}/homework`, {
      title: 'Fractions worksheet',
      instructions: 'Do **all** the questions.',
      points: 10,
      due_at: '2026-11-09T17:00:00Z',
      publish_at: 'now',
      ...body,
    });
    if (res.status !== 201) throw new Error(`setting homework failed: ${res.status} ${res.text}`);
    return res.body as { id: string; [key: string]: unknown };
  }

  return {
    ...w,
    setHomework,
    clock: {
      set: (iso: string) => {
        current = new Date(iso);
      },
      now: () => current,
    },
  };
}

export type HomeworkWorld = Awaited<ReturnType<typeof homeworkWorld>>;

/** Reads tables of the school as the app role would (RLS applies). */
export function inTables<T>(school: School, fn: (db: Parameters<Parameters<typeof withTenant>[2]>[0]) => Promise<T>): Promise<T> {
  const { dbs } = testEnv();
  return withTenant(dbs.app, { id: school.tenant.id }, (db) => fn(db));
}

export async function auditOf(school: School, action: string) {
  return inTables(school, (db) => db('audit_events').where({ action }).orderBy('occurred_at').select('actor_id', 'target_type', 'target_id', 'details'));
}
