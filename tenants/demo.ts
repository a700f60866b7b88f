// The demo school `npm start` creates on an empty database, so a fresh clone has something to
// sign in to. Known passwords: development only (config refuses EDIFY_DEMO in production).
import type { Knex } from 'knex';
import { addMember, createClass } from '../api/classes/service.ts';
import { createUser } from '../api/users/service.ts';
import { createTenant, operatorScope } from './provision.ts';
import { beginTenantSession, withPlatform } from './session.ts';

export const DEMO_PASSWORD = 'edify-demo-password';

export const DEMO_PEOPLE = [
  { email: 'admin@demo.test', first_name: 'Ada', last_name: 'Admin', role: 'admin' as const },
  { email: 'teacher@demo.test', first_name: 'Tom', last_name: 'Teacher', role: 'teacher' as const },
  { email: 'sam@demo.test', first_name: 'Sam', last_name: 'Student', role: 'student' as const },
  { email: 'kim@demo.test', first_name: 'Kim', last_name: 'Student', role: 'student' as const },
];

/** Creates the demo school if no school exists yet. Returns whether it did. */
export async function seedDemoIfEmpty(owner: Knex): Promise<boolean> {
  const any = await owner('tenants').first('id');
  if (any) return false;
  const [admin, ...others] = DEMO_PEOPLE;
  if (!admin) return false;
  const operator = { label: 'demo-seed' };
  const { tenant } = await createTenant(owner, { slug: 'demo', name: 'Demo School', timezone: 'UTC', admin: { ...admin, password: DEMO_PASSWORD } }, operator);
  await withPlatform(owner, async (db) => {
    await beginTenantSession(db, { id: tenant.id });
    const scope = operatorScope(db, tenant, operator);
    const users = [];
    for (const person of others) users.push(await createUser(scope, { ...person, password: DEMO_PASSWORD }));
    const klass = await createClass(scope, {
      name: 'Year 5 Science',
      subject: 'Science',
      grade_level: '5',
      description: 'Plants, forces and the solar system.',
    });
    for (const user of users) await addMember(scope, klass.id, { user_id: user.id, role: user.role === 'teacher' ? 'teacher' : 'student' });
  });
  return true;
}
