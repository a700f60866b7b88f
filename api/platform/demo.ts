// The demo school `npm start` creates on an empty database, so a fresh clone has something to
// sign in to. Known passwords: development only (config refuses EDIFY_DEMO in production).
import type { Knex } from 'knex';
import { beginTenantSession, withPlatform } from '../../tenants/session.ts';
import { addMember, createClass } from '../classes/service.ts';
import { createHomeworkInput } from '../homework/schema.ts';
import { createHomework } from '../homework/service.ts';
import type { Outbox } from '../jobs/outbox.ts';
import { createNoticeInput } from '../notices/schema.ts';
import { createClassNotice } from '../notices/service.ts';
import { addQuestion } from '../quizzes/questions.ts';
import { createQuizInput, questionInput } from '../quizzes/schema.ts';
import { createQuiz, publishQuiz } from '../quizzes/service.ts';
import { createResourceInput } from '../resources/schema.ts';
import { createResource } from '../resources/service.ts';
import { createUser } from '../users/service.ts';
import { createTenant, operatorScope } from './provision.ts';

export const DEMO_PASSWORD = 'edify-demo-password';

export const DEMO_PEOPLE = [
  { email: 'admin@demo.test', first_name: 'Ada', last_name: 'Admin', role: 'admin' as const },
  { email: 'teacher@demo.test', first_name: 'Tom', last_name: 'Teacher', role: 'teacher' as const },
  { email: 'sam@demo.test', first_name: 'Sam', last_name: 'Student', role: 'student' as const },
  { email: 'kim@demo.test', first_name: 'Kim', last_name: 'Student', role: 'student' as const },
  { email: 'parent@demo.test', first_name: 'Pat', last_name: 'Student', role: 'guardian' as const },
];

/** Creates the demo school if no school exists yet. Returns whether it did. */
export async function seedDemoIfEmpty(owner: Knex, outbox: Outbox): Promise<boolean> {
  const any = await owner('tenants').first('id');
  if (any) return false;
  const [admin, ...others] = DEMO_PEOPLE;
  if (!admin) return false;
  const operator = { label: 'demo-seed' };
  const { tenant } = await createTenant(owner, { slug: 'demo', name: 'Demo School', timezone: 'UTC', admin: { ...admin, password: DEMO_PASSWORD } }, operator);
  await withPlatform(owner, async (db) => {
    await beginTenantSession(db, { id: tenant.id });
    const scope = { ...operatorScope(db, tenant, operator), outbox };
    const users = [];
    for (const person of others) users.push(await createUser(scope, { ...person, password: DEMO_PASSWORD }));
    const klass = await createClass(scope, {
      name: 'Year 5 Science',
      subject: 'Science',
      grade_level: '5',
      description: 'Plants, forces and the solar system.',
    });
    for (const user of users) {
      if (user.role === 'guardian') continue;
      await addMember(scope, klass.id, { user_id: user.id, role: user.role === 'teacher' ? 'teacher' : 'student' });
    }
    const sam = users.find((u) => u.email === 'sam@demo.test');
    const parent = users.find((u) => u.role === 'guardian');
    if (sam && parent) await db('guardian_links').insert({ tenant_id: tenant.id, guardian_id: parent.id, student_id: sam.id, relationship: 'parent' });
    await seedTeaching(scope, klass.id);
  });
  return true;
}

/** A week of work in the demo class: something to open as every role. Through the services, with
 * the same validation as the API. */
async function seedTeaching(scope: ReturnType<typeof operatorScope>, classId: string): Promise<void> {
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  await createResource(scope, classId, createResourceInput.parse({ kind: 'link', title: 'The solar system (video)', url: 'https://example.org/solar-system' }));
  await createClassNotice(
    scope,
    classId,
    createNoticeInput.parse({ title: 'Welcome to Year 5 Science', body: 'Bring a **notebook** on Monday.', pinned: true, publish_at: 'now' }),
  );
  await createHomework(
    scope,
    classId,
    createHomeworkInput.parse({
      title: 'Plant diary',
      instructions: 'Water your bean every day and write **one sentence** about how it changed.',
      points: 10,
      due_at: inDays(5),
      publish_at: 'now',
    }),
  );
  const quiz = await createQuiz(scope, classId, createQuizInput.parse({ title: 'Forces check-in', closes_at: inDays(7), time_limit_minutes: 15 }));
  await addQuestion(
    scope,
    quiz.id,
    questionInput.parse({
      type: 'single_choice',
      prompt: 'What pulls things towards the Earth?',
      points: 1,
      options: [
        { id: 'gravity', text: 'Gravity', correct: true },
        { id: 'friction', text: 'Friction' },
        { id: 'magnetism', text: 'Magnetism' },
      ],
    }),
  );
  await addQuestion(scope, quiz.id, questionInput.parse({ type: 'true_false', prompt: 'A push is a force.', points: 1, correct: true }));
  await publishQuiz(scope, quiz.id);
}
