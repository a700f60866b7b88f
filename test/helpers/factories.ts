// Factories: every call makes a fresh school unless given one, so tests never share data, never
// truncate, and run in parallel. People get a known password, hashed once per worker.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../api/auth/password.ts';
import { startSession } from '../../api/auth/sessions.ts';
import { addMember, createClass } from '../../api/classes/service.ts';
import { createTenant, operatorScope } from '../../api/platform/provision.ts';
import type { Role, Tenant } from '../../api/scope.ts';
import { User } from '../../api/users/model.ts';
import { createUser } from '../../api/users/service.ts';
import { beginTenantSession, withPlatform } from '../../tenants/session.ts';
import { testEnv, testTokenKeys } from './env.ts';
import { type Client, type Response, startApp } from './http.ts';
import { testOutbox } from './jobs.ts';

export const PASSWORD = 'correct horse battery';
let passwordHash: Promise<string> | undefined;
const knownHash = () => (passwordHash ??= hashPassword(PASSWORD));

export const uniqueSlug = (prefix = 's') => `${prefix}-${randomBytes(5).toString('hex')}`;

export type Person = { id: string; email: string; role: Role; token: string };
export type School = { tenant: Tenant; slug: string; admin: Person };

export async function createSchool(options: { slug?: string; name?: string } = {}): Promise<School> {
  const { dbs } = testEnv();
  const slug = options.slug ?? uniqueSlug();
  const { tenant, admin } = await createTenant(
    dbs.owner,
    { slug, name: options.name ?? 'Riverside Primary', admin: { email: `admin@${slug}.test`, first_name: 'Ada', last_name: 'Admin', password: PASSWORD } },
    { label: 'test' },
  );
  const school: School = { tenant, slug, admin: { id: admin.id, email: admin.email, role: 'admin', token: '' } };
  school.admin.token = await tokenFor(school, admin.id);
  return school;
}

export async function createPerson(school: School, role: Role, fields: { email?: string; first_name?: string; last_name?: string } = {}): Promise<Person> {
  const { dbs } = testEnv();
  const hash = await knownHash();
  const user = await inSchool(school, async (scope) => {
    const created = await createUser(scope, {
      email: fields.email ?? `${role}-${randomBytes(4).toString('hex')}@${school.slug}.test`,
      first_name: fields.first_name ?? 'Pat',
      last_name: fields.last_name ?? role,
      role,
    });
    await User.query(scope.db).patch({ password_hash: hash }).where({ id: created.id });
    return created;
  });
  void dbs;
  return { id: user.id, email: user.email, role, token: await tokenFor(school, user.id) };
}

export async function createClassIn(school: School, members: { teachers?: Person[]; students?: Person[] } = {}, name = 'Year 5 Science') {
  return inSchool(school, async (scope) => {
    const created = await createClass(scope, { name });
    for (const t of members.teachers ?? []) await addMember(scope, created.id, { user_id: t.id, role: 'teacher' });
    for (const s of members.students ?? []) await addMember(scope, created.id, { user_id: s.id, role: 'student' });
    return created;
  });
}

/** Links a guardian to a student, as an admin would (POST /users/:id/guardians). */
export async function linkGuardian(school: School, guardian: Pick<Person, 'id'>, student: Pick<Person, 'id'>): Promise<void> {
  await inSchool(school, (scope) => scope.db('guardian_links').insert({ tenant_id: school.tenant.id, guardian_id: guardian.id, student_id: student.id }));
}

/** Runs fn as an operator inside the school, through the owner pool (as the CLI does). */
export async function inSchool<T>(school: School, fn: (scope: ReturnType<typeof operatorScope>) => Promise<T>): Promise<T> {
  const { dbs } = testEnv();
  const outbox = await testOutbox();
  return withPlatform(dbs.owner, async (db) => {
    const tenant = await beginTenantSession(db, { id: school.tenant.id });
    return fn({ ...operatorScope(db, tenant, { label: 'test' }), outbox });
  });
}

/** A real sign-in session for the user, as login would make; returns its access token. */
export async function tokenFor(school: School, userId: string): Promise<string> {
  const pair = await signInAs(school, userId);
  return pair.access_token;
}

export function signInAs(school: School, userId: string) {
  return inSchool(school, (scope) => startSession(scope, userId, { keys: testTokenKeys(), refreshTtlDays: 30 }, { userAgent: 'factory' }));
}

type PersonSpec = Role | { role: Role; first_name?: string; last_name?: string; email?: string; guardianOf?: string[] };
type ClassSpec<P> = { name: string; teachers?: P[]; students?: P[] };
type Klass = Awaited<ReturnType<typeof createClassIn>>;
export type Requester = Pick<Person, 'token'> | null;

/** Requests into one school as one of its people (null: signed out): the one request helper. */
export function schoolApi(app: Client, school: Pick<School, 'slug'>) {
  const request = (who: Requester, method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response> =>
    app.request(school.slug, method, path, { token: who?.token, body, headers });
  const get = (who: Requester, path: string, headers?: Record<string, string>) => request(who, 'GET', path, undefined, headers);
  return { request, get };
}

/**
 * A fresh school with the people and classes a test declares, talking to the real app: the one
 * way tests build a world. People are made ten at a time, classes in the order given (so lists
 * ordered by creation are predictable), guardians linked to the students named in `guardianOf`.
 * Each person and class is a property of the result under its declared name, beside `app`,
 * `school`, `admin` and the school's `request`/`get`.
 *
 *   const w = await scene({ people: { teacher: 'teacher', sam: { role: 'student', first_name: 'Sam' } },
 *                           classes: { maths: { name: 'Maths', teachers: ['teacher'], students: ['sam'] } } });
 *   await w.request(w.sam, 'GET', `/api/v1/classes/${w.maths.id}`);
 */
export async function scene<
  const P extends Record<string, PersonSpec>,
  const C extends Record<string, ClassSpec<keyof P & string>> = Record<never, never>,
>(spec: {
  people: P;
  classes?: C;
  /** Shared by the tests of a file; started with defaults when not given. */
  app?: Client | Promise<Client>;
  school?: { name?: string };
}) {
  const app = await (spec.app ?? startApp());
  const school = await createSchool(spec.school);
  const reserved = new Set(['app', 'school', 'admin', 'request', 'get']);
  const names = [...Object.keys(spec.people), ...Object.keys(spec.classes ?? {})];
  for (const name of names) if (reserved.has(name) || names.indexOf(name) !== names.lastIndexOf(name)) throw new Error(`scene: the name ${name} is taken`);
  const entries = Object.entries(spec.people).map(([name, s]) => [name, typeof s === 'string' ? { role: s } : s] as const);
  // Ten at a time: the factories' owner pool is small, and a class of a hundred would queue past its acquire timeout.
  const made: Person[] = [];
  for (let i = 0; i < entries.length; i += 10)
    made.push(...(await Promise.all(entries.slice(i, i + 10).map(([, { role, guardianOf: _, ...fields }]) => createPerson(school, role, fields)))));
  const people = Object.fromEntries(entries.map(([name], i) => [name, made[i] as Person])) as { [K in keyof P]: Person };
  for (const [name, s] of entries) for (const child of s.guardianOf ?? []) await linkGuardian(school, personNamed(people, name), personNamed(people, child));
  const classes = {} as { [K in keyof C]: Klass };
  for (const [name, c] of Object.entries(spec.classes ?? {}) as [keyof C, ClassSpec<string>][]) {
    const pick = (list: string[] = []) => list.map((n) => personNamed(people, n));
    classes[name] = await createClassIn(school, { teachers: pick(c.teachers), students: pick(c.students) }, c.name);
  }
  return { app, school, admin: school.admin, ...schoolApi(app, school), ...people, ...classes };
}

function personNamed(people: Record<string, Person>, name: string): Person {
  const person = people[name];
  if (!person) throw new Error(`scene: nobody is called ${name}`);
  return person;
}
