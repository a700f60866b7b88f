// The school tick's pruning: what can no longer be used is deleted, nothing else; and the tick
// runs the file service's scan and cleanup.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { pruneExpired, schoolTick } from '../../api/jobs/timed.ts';
import { createMailer } from '../../api/mail/mailer.ts';
import { createPerson, createSchool, inSchool } from '../helpers/factories.ts';
import { seedFile } from '../helpers/files.ts';
import { MAIL_DIR } from '../helpers/http.ts';
import { testJobs, workerDeps } from '../helpers/jobs.ts';

test('pruning deletes expired reset tokens, keeps live ones, and stays inside the school', async (t) => {
  const [school, other] = await Promise.all([createSchool(), createSchool()]);
  const [person, stranger] = await Promise.all([createPerson(school, 'teacher'), createPerson(other, 'teacher')]);
  const at = new Date('2026-11-26T12:00:00Z');
  const days = (n: number) => new Date(at.getTime() + n * 86_400_000);
  const reset = (tenantId: string, userId: string, expires: Date) => ({
    tenant_id: tenantId,
    user_id: userId,
    token_hash: randomBytes(16).toString('hex'),
    expires_at: expires,
  });
  await inSchool(school, (scope) =>
    scope.db('password_resets').insert([reset(school.tenant.id, person.id, days(-2)), reset(school.tenant.id, person.id, days(1))]),
  );
  await inSchool(other, (scope) => scope.db('password_resets').insert(reset(other.tenant.id, stranger.id, days(-2))));

  const pruned = await inSchool(school, (scope) => pruneExpired({ ...scope, clock: () => at }));
  t.is(pruned, 1);
  const left = await inSchool(school, (scope) => scope.db('password_resets').select('expires_at'));
  t.deepEqual(
    left.map((r: { expires_at: Date }) => r.expires_at.toISOString()),
    [days(1).toISOString()],
  );
  t.is((await inSchool(other, (scope) => scope.db('password_resets').select('id'))).length, 1, 'another school’s rows wait for its own tick');
});

test('the school tick removes files never attached within a day and old sign-in failures, and keeps the rest', async (t) => {
  const school = await createSchool();
  const teacher = await createPerson(school, 'teacher');
  const [stale, fresh] = [await seedFile(school, teacher, 'stale.pdf'), await seedFile(school, teacher, 'fresh.pdf')];
  const at = new Date(Date.now() + 2 * 86_400_000);
  await inSchool(school, async (scope) => {
    await scope
      .db('files')
      .where({ id: fresh })
      .update({ created_at: new Date(at.getTime() - 3_600_000) });
    await scope.db('sign_in_failures').insert([
      { tenant_id: school.tenant.id, user_id: teacher.id, factor: 'password', ip: '203.0.113.9', occurred_at: new Date(at.getTime() - 3 * 86_400_000) },
      { tenant_id: school.tenant.id, user_id: teacher.id, factor: 'password', ip: '203.0.113.9', occurred_at: new Date(at.getTime() - 60_000) },
    ]);
  });
  const mailer = createMailer({ from: 'Edify <test@edify.test>', mailDir: MAIL_DIR });
  const report = await schoolTick(workerDeps(await testJobs(), mailer, { clock: () => at }), { tenant_id: school.tenant.id });
  t.like(report?.files, { removed: 1 });
  const left = await inSchool(school, (scope) => scope.db('files').pluck('id'));
  t.deepEqual(left, [fresh], `the stale file ${stale} is gone, the fresh one stays`);
  t.is((await inSchool(school, (scope) => scope.db('sign_in_failures').select('id'))).length, 1, 'the failure inside the window stays');
});
