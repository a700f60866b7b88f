// Failed passwords pause sign-in per (account, client address) and, past a higher ceiling, per
// account for addresses it never signed in from; the pause ends as failures age out of the window.
import test from 'ava';
import { THROTTLE } from '../../api/auth/throttle.ts';
import { createPerson, createSchool, PASSWORD, type School } from '../helpers/factories.ts';
import { type Client, startApp } from '../helpers/http.ts';

// One proxy in front: the right-most X-Forwarded-For entry is the client.
async function behindProxy() {
  let offset = 0;
  const app = await startApp({ trustProxy: true, proxyHops: 1 }, { clock: () => new Date(Date.now() + offset) });
  return { app, later: (ms: number) => (offset += ms) };
}

const login = (app: Client, school: School, email: string, password: string, from: string) =>
  app.request(school.slug, 'POST', '/api/v1/auth/login', { headers: { 'x-forwarded-for': from }, body: { email, password } });

test('wrong passwords from one address do not lock the owner out from another', async (t) => {
  const { app } = await behindProxy();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  for (let i = 0; i < THROTTLE.perClient; i++) t.is((await login(app, school, student.email, 'wrong password!', '198.51.100.66')).status, 401);
  t.is((await login(app, school, student.email, PASSWORD, '198.51.100.66')).status, 401, 'that address waits, even with the right password');
  t.is((await login(app, school, student.email, PASSWORD, '203.0.113.10')).status, 200, 'the owner elsewhere signs in');
});

test('the pause ends when the failures age out of the window (no doubling)', async (t) => {
  const { app, later } = await behindProxy();
  const school = await createSchool();
  const student = await createPerson(school, 'student');
  const from = '198.51.100.67';
  for (let i = 0; i < THROTTLE.perClient; i++) await login(app, school, student.email, 'wrong password!', from);
  t.is((await login(app, school, student.email, PASSWORD, from)).status, 401);
  later(THROTTLE.windowMs - 60_000);
  t.is((await login(app, school, student.email, PASSWORD, from)).status, 401, 'still inside the window');
  later(61_000);
  t.is((await login(app, school, student.email, PASSWORD, from)).status, 200, 'the window has passed');
});

test('a spread-out attack meets the account ceiling, except from addresses the owner used before', async (t) => {
  const { app } = await behindProxy();
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const home = '203.0.113.50';
  t.is((await login(app, school, teacher.email, PASSWORD, home)).status, 200, 'the owner signed in from home once');
  const addresses = THROTTLE.perAccount / THROTTLE.perClient;
  for (let a = 0; a < addresses; a++) {
    for (let i = 0; i < THROTTLE.perClient; i++) t.is((await login(app, school, teacher.email, 'wrong password!', `198.51.100.${a + 1}`)).status, 401);
  }
  t.is((await login(app, school, teacher.email, PASSWORD, '192.0.2.99')).status, 401, 'a new address waits');
  t.is((await login(app, school, teacher.email, PASSWORD, home)).status, 200, 'home still works');
});
